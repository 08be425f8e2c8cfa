// MPSEA's cross-modal deep-perception reinforcement learning term (CPRL; the paper's §3.5, Eqs.
// 10–13; ../shared/docs/models.md "MPSEA"): per entity, J the late joint, R the concatenation of the
// normalised late per-modality embeddings, c = cos(J, R), MI = e^c, reward
// f = max(c − θ, 0) + α·MI − β(θ − c), a policy π = softmax(W_p [J ‖ MI] + b_p) over {mismatch, match},
// and L_RL = −mean f · log π(a).
//
// As written it cannot be both REINFORCE and useful: with f a function of the embeddings it is no
// REINFORCE estimator, and as REINFORCE (f a detached reward, the state an input) it cannot change the
// embeddings. Both readings are options, documented and measured (models.md's choice):
//   literal    a = 1 (every pair in a batch is a match), nothing detached: a term on the embeddings
//   reinforce  a ~ π (seeded), f and the state [J ‖ MI] detached: it trains only the policy
import { constantOf, matMul } from '../../nn/ops';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';

export interface CprlOptions {
  theta: number;
  alpha: number;
  beta: number;
  mode: 'literal' | 'reinforce';
  /** reinforce: the seed of the action draws */
  seed: number;
}

export interface CprlPolicy {
  /** (dims of J + 1) × 2 */
  W: tf.Tensor2D;
  /** 2 */
  b: tf.Tensor1D;
}

const cosine = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.div(tf.sum(tf.mul(a, b), 1, true), tf.mul(tf.norm(a, 'euclidean', 1, true), tf.norm(b, 'euclidean', 1, true))) as tf.Tensor2D;

/** L_RL over the rows of J (rows × D) and R (rows × D'). */
export function cprlLoss(J: tf.Tensor2D, R: tf.Tensor2D, policy: CprlPolicy, o: CprlOptions): tf.Scalar {
  const c = cosine(J, R);
  const mi = tf.exp(c);
  let f = tf.sub(tf.add(tf.relu(tf.sub(c, o.theta)), tf.mul(mi, o.alpha)), tf.mul(tf.sub(o.theta, c), o.beta)) as tf.Tensor2D;
  let state = tf.concat([J, mi], 1) as tf.Tensor2D;
  if (o.mode === 'reinforce') {
    // a reward and a state, not functions to differentiate: constants with the same values
    f = constantOf(f);
    state = constantOf(state);
  }
  const logits = tf.add(matMul(state, policy.W), policy.b);
  const logp = tf.logSoftmax(logits) as tf.Tensor2D;
  const rows = J.shape[0];
  let chosen: tf.Tensor2D;
  if (o.mode === 'literal') chosen = tf.slice(logp, [0, 1], [rows, 1]);
  else {
    // a_i ~ π_i: match when a seeded uniform draw falls below π_i(match)
    const draw = mulberry32(o.seed);
    const u = tf.tensor2d(
      Float32Array.from({ length: rows }, () => draw()),
      [rows, 1],
    );
    // on the backend, so a device step reads nothing: action 1 where u < π(match), else 0
    // (one custom op: its inner comparison has no gradient and the tape must not meet it)
    const actions = tf.customGrad((lp) => {
      const match = tf.cast(tf.less(u, tf.exp(tf.slice(lp as tf.Tensor2D, [0, 1], [rows, 1]))), 'float32');
      return { value: tf.concat([tf.sub(1, match), match], 1), gradFunc: (dy) => tf.zerosLike(dy as tf.Tensor) };
    });
    const pick = actions(logp);
    chosen = tf.sum(tf.mul(logp, pick), 1, true) as tf.Tensor2D;
  }
  return tf.neg(tf.mean(tf.mul(f, chosen))) as tf.Scalar;
}
