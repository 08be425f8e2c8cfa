// Tensors as constants of the gradient tape: with no host read (a device step makes none), so
// written as custom ops rather than as a copy through the CPU.
import { tf } from '../runtime/tf';

/** x's values as a tensor the tape does not link to x: a constant, so x gets no gradient through it
 *  at all (not a zero one: AdamW skips a parameter without gradient, as PyTorch does), with no host
 *  read. The custom op's only input is a fresh scalar; its forward, untaped, clones x. */
export function constantOf<X extends tf.Tensor>(x: X): X {
  const f = tf.customGrad((d) => ({ value: tf.clone(x), gradFunc: () => tf.zerosLike(d as tf.Tensor) }));
  return tf.tidy(() => f(tf.scalar(0))) as X;
}

/** x as a constant of what follows: the same values, a zero gradient to x (where constantOf gives
 *  none: x still counts as reached, so AdamW steps it on its moments), no host read. */
export function detach<X extends tf.Tensor>(x: X): X {
  const f = tf.customGrad((t) => ({ value: tf.clone(t as tf.Tensor), gradFunc: (dy) => tf.zerosLike(dy as tf.Tensor) }));
  return f(x) as X;
}
