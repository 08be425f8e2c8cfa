// AdamW as PyTorch implements it (decoupled weight decay: p ← p − lr·wd·p, then the Adam step with
// bias correction); tfjs has Adam but not AdamW. Its moments are plain variables so a checkpoint
// saves and restores them exactly.
import { tf } from '../runtime/tf';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { lr: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** The value of `loss` and its gradient for each of `params` by its name (what AdamW.apply takes; a
 *  parameter the loss does not reach has none). The caller disposes both. */
export function gradientsByName(params: Map<string, tf.Variable>, loss: () => tf.Scalar): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { value, grads: byVar } = tf.variableGrads(loss, [...params.values()]);
  const grads: Record<string, tf.Tensor> = {};
  for (const [name, v] of params) if (byVar[v.name]) grads[name] = byVar[v.name]!;
  return { value, grads };
}

export class AdamW {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    public options: AdamWOptions = ADAMW_DEFAULTS,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}.adam.m`));
      this.v.set(name, tf.variable(tf.zerosLike(p), false, `${p.name}.adam.v`));
    }
  }

  apply(grads: Record<string, tf.Tensor>): void {
    this.step++;
    const { lr, beta1, beta2, eps, weightDecay } = this.options;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue; // not reached by this step's loss: PyTorch skips parameters without grad
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const decayed = tf.mul(p, 1 - lr * weightDecay);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  /** As if re-created with `options`: moments zeroed, step count back to 0 (MCLEA's iterative quirk
   *  builds a new optimizer every epoch; methods.md §0.7). */
  restart(options: AdamWOptions): void {
    this.options = options;
    this.step = 0;
    tf.tidy(() => {
      for (const t of [...this.m.values(), ...this.v.values()]) t.assign(tf.zerosLike(t));
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Parameters and their AdamW moments by name, as a checkpoint stores them. */
export interface AdamWState {
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Read asynchronously: a device backend may have no synchronous read (webgpu in Node). */
const read = async (vars: Map<string, tf.Variable>) => Object.fromEntries(await Promise.all([...vars].map(async ([k, v]) => [k, (await v.data()) as Float32Array] as const)));

export async function adamwState(params: Map<string, tf.Variable>, optimizer: AdamW): Promise<AdamWState> {
  return { params: await read(params), m: await read(optimizer.m), v: await read(optimizer.v) };
}

/** The inverse of adamwState (the step count is the caller's); `dir` names the checkpoint in errors. */
export function restoreAdamW(dir: string, params: Map<string, tf.Variable>, optimizer: AdamW, saved: AdamWState): void {
  for (const [name, p] of params) {
    const values = saved.params[name];
    if (!values || values.length !== p.size) throw new Error(`${dir}: parameter ${name} is missing or has another shape (was the checkpoint made on other data or options?)`);
    tf.tidy(() => {
      p.assign(tf.tensor(values, p.shape));
      optimizer.m.get(name)!.assign(tf.tensor(saved.m[name]!, p.shape));
      optimizer.v.get(name)!.assign(tf.tensor(saved.v[name]!, p.shape));
    });
  }
}
