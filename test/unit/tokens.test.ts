// The modality-token transformer layer (nn/tokens.ts) against a plain per-entity loop written from
// BERT's definition, its gradients against finite differences, the received-attention weights by hand,
// and the per-step schedule pieces (nn/schedule.ts) against transformers' and PyTorch's formulas.
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, cosineWithWarmup } from '../../src/engine/nn/schedule';
import { receivedWeights, tokenLayer, type TokenLayerParams } from '../../src/engine/nn/tokens';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('wasm');
});

const rand = mulberry32(17);
const randn = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);

/** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

interface Plain {
  W: number[][];
  b: number[];
}
const plainLinear = (inDims: number, out: number): Plain => ({ W: Array.from({ length: inDims }, () => randn(out)), b: randn(out) });
const apply = (x: number[], l: Plain) => l.b.map((b, c) => b + x.reduce((s, v, k) => s + v * l.W[k]![c]!, 0));
function plainNorm(x: number[], g: number[], b: number[], eps: number): number[] {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, c) => ((v - mean) / Math.sqrt(variance + eps)) * g[c]! + b[c]!);
}

/** One entity's tokens through the layer, as BERT's code reads: per head softmax(QKᵀ/√dh)V, dense,
 *  residual, LayerNorm, then the optional GELU feed-forward with its residual and LayerNorm. */
function plainLayer(X: number[][], p: Record<string, Plain>, norms: Record<string, { g: number[]; b: number[] }>, heads: number, ffn: boolean) {
  const T = X.length;
  const d = X[0]!.length;
  const dh = d / heads;
  const [Q, K, V] = ['query', 'key', 'value'].map((k) => X.map((x) => apply(x, p[k]!)));
  const probs = Array.from({ length: T }, () => Array.from({ length: T }, () => new Array<number>(heads).fill(0)));
  const ctx = X.map(() => new Array<number>(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < T; t++) {
      const s = K!.map((k) => {
        let dot = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) dot += Q![t]![c]! * k[c]!;
        return dot / Math.sqrt(dh);
      });
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      e.forEach((v, u) => {
        probs[t]![u]![h] = v / z;
        for (let c = h * dh; c < (h + 1) * dh; c++) ctx[t]![c]! += (v / z) * V![u]![c]!;
      });
    }
  }
  let out = ctx.map((c, t) =>
    plainNorm(
      apply(c, p.output!).map((v, k) => v + X[t]![k]!),
      norms.norm!.g,
      norms.norm!.b,
      1e-12,
    ),
  );
  if (ffn) {
    out = out.map((o) => {
      const inner = apply(o, p.inner!).map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      return plainNorm(
        apply(inner, p.outer!).map((v, k) => v + o[k]!),
        norms.ffnNorm!.g,
        norms.ffnNorm!.b,
        1e-12,
      );
    });
  }
  return { out, probs };
}

function fixture(d: number, inner: number, ffn: boolean) {
  const plain: Record<string, Plain> = { query: plainLinear(d, d), key: plainLinear(d, d), value: plainLinear(d, d), output: plainLinear(d, d) };
  if (ffn) Object.assign(plain, { inner: plainLinear(d, inner), outer: plainLinear(inner, d) });
  const norms = { norm: { g: randn(d).map((v) => 1 + v / 2), b: randn(d) }, ffnNorm: { g: randn(d).map((v) => 1 + v / 2), b: randn(d) } };
  const lin = (l: Plain) => ({ W: tf.tensor2d(l.W), b: tf.tensor1d(l.b) });
  const ln = (n: { g: number[]; b: number[] }) => ({ gamma: tf.tensor1d(n.g), beta: tf.tensor1d(n.b) });
  const params: TokenLayerParams = {
    query: lin(plain.query!),
    key: lin(plain.key!),
    value: lin(plain.value!),
    output: lin(plain.output!),
    norm: ln(norms.norm),
    ...(ffn && { ffn: { inner: lin(plain.inner!), outer: lin(plain.outer!), norm: ln(norms.ffnNorm) } }),
  };
  return { plain, norms, params };
}

describe('token transformer layer', () => {
  it.each([
    [1, false],
    [2, false],
    [3, true],
  ])('matches the per-entity definition (%i heads, feed-forward %s)', (heads, ffn) => {
    const [T, rows, d, inner] = [4, 5, 6, 7];
    const { plain, norms, params } = fixture(d, inner, ffn);
    const X = Array.from({ length: T }, () => Array.from({ length: rows }, () => randn(d)));
    const got = tf.tidy(() => {
      const r = tokenLayer(
        X.map((t) => tf.tensor2d(t)),
        params,
        { heads, dropout: 0.1, seed: null },
      );
      return { out: r.tokens.map((t) => t.arraySync()), probs: r.probs.map((row) => row.map((p) => p.arraySync())) };
    });
    for (let i = 0; i < rows; i++) {
      const want = plainLayer(
        X.map((t) => t[i]!),
        plain,
        norms,
        heads,
        ffn,
      );
      for (let t = 0; t < T; t++) {
        want.out[t]!.forEach((v, c) => expect(got.out[t]![i]![c]!).toBeCloseTo(v, 4));
        for (let u = 0; u < T; u++) for (let h = 0; h < heads; h++) expect(got.probs[t]![u]![i]![h]!).toBeCloseTo(want.probs[t]![u]![h]!, 5);
      }
    }
    tf.dispose(Object.values(params).flatMap((x) => Object.values(x).flatMap((y) => (y instanceof tf.Tensor ? [y] : Object.values(y as object)))));
  });

  it('has the gradients of finite differences for its inputs and every parameter', () => {
    const [T, rows, d, inner, heads] = [3, 3, 4, 5, 2];
    const { params } = fixture(d, inner, true);
    const X = Array.from({ length: T }, () => tf.tensor2d(Array.from({ length: rows }, () => randn(d))));
    const C = Array.from({ length: T }, () => tf.tensor2d(Array.from({ length: rows }, () => randn(d))));
    const Cw = tf.tensor2d(Array.from({ length: rows }, () => randn(T)));
    // a scalar reading every output: Σ_t ⟨C_t, out_t⟩ + ⟨Cw, weights⟩
    const f = (...xs: tf.Tensor[]) => {
      const r = tokenLayer(xs as tf.Tensor2D[], params, { heads, dropout: 0, seed: null });
      let s: tf.Tensor = tf.sum(tf.mul(receivedWeights(r.probs), Cw));
      r.tokens.forEach((o, t) => (s = tf.add(s, tf.sum(tf.mul(o, C[t]!)))));
      return s as tf.Scalar;
    };
    const grads = tf.grads(f)(X);
    const h = 3e-3;
    for (let t = 0; t < T; t++) {
      const base = X[t]!.arraySync();
      const g = grads[t]!.arraySync() as number[][];
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < d; c++) {
          const at = (delta: number) => {
            const moved = (base as number[][]).map((r) => [...r]);
            moved[i]![c]! += delta;
            const xs = X.map((x, k) => (k === t ? tf.tensor2d(moved) : x));
            const v = tf.tidy(() => f(...xs).dataSync()[0]!);
            xs[t]!.dispose();
            return v;
          };
          // central differences in float32: truncation O(h²) and rounding, so a relative bound
          const numeric = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(g[i]![c]! - numeric)).toBeLessThan(0.01 * Math.max(1, Math.abs(numeric)));
        }
      }
    }
    // the parameters: as variables, tf.variableGrads against one random direction each
    const vars = new Map<string, tf.Variable>();
    const walk = (o: object, path: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (v instanceof tf.Tensor) {
          const variable = tf.variable(v, true, `tokens-test.${path}${k}`);
          vars.set(`${path}${k}`, variable);
          (o as Record<string, tf.Tensor>)[k] = variable;
        } else walk(v as object, `${path}${k}.`);
      }
    };
    walk(params, '');
    const { grads: pg } = tf.variableGrads(() => f(...X));
    for (const [name, v] of vars) {
      const dir = tf.tensor(randn(v.size), v.shape);
      const analytic = tf.sum(tf.mul(pg[v.name]!, dir)).dataSync()[0]!;
      const original = v.clone();
      const at = (delta: number) => {
        v.assign(tf.add(original, tf.mul(dir, delta)));
        return tf.tidy(() => f(...X).dataSync()[0]!);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      v.assign(original);
      expect(Math.abs(analytic - numeric), name).toBeLessThan(0.02 * Math.max(1, Math.abs(numeric)));
      tf.dispose([dir, original]);
    }
  });

  it('drops attention and outputs in training with a seed, reproducibly, and never in evaluation', () => {
    const [T, rows, d] = [3, 50, 6];
    const { params } = fixture(d, 4, false);
    const X = Array.from({ length: T }, () => tf.tensor2d(Array.from({ length: rows }, () => randn(d))));
    const run = (seed: number | null, dropout = 0.3) => tf.tidy(() => tokenLayer(X, params, { heads: 2, dropout, seed }).tokens[0]!.arraySync().flat());
    const evaluation = run(null);
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    expect(run(5)).not.toEqual(evaluation);
    run(5, 0).forEach((v, k) => expect(v).toBeCloseTo(evaluation[k]!, 6));
  });

  it('weighs each modality by the attention it receives, over √(tokens · heads)', () => {
    // one entity, 2 tokens, 2 heads: probs[t][u] per head
    const probs = [
      [tf.tensor2d([[0.9, 0.2]]), tf.tensor2d([[0.1, 0.8]])],
      [tf.tensor2d([[0.6, 0.3]]), tf.tensor2d([[0.4, 0.7]])],
    ];
    const w = receivedWeights(probs).arraySync()[0]!;
    const received = [0.9 + 0.2 + 0.6 + 0.3, 0.1 + 0.8 + 0.4 + 0.7].map((r) => Math.exp(r / Math.sqrt(4)));
    const z = received[0]! + received[1]!;
    expect(w[0]!).toBeCloseTo(received[0]! / z, 6);
    expect(w[1]!).toBeCloseTo(received[1]! / z, 6);
  });
});

describe('per-step schedule', () => {
  it("follows transformers' cosine schedule with warm-up", () => {
    // 100 steps, 15 warm-up: 0 at the first step, linear to 1, then half a cosine to 0
    expect(cosineWithWarmup(0, 100, 0.15)).toBe(0);
    expect(cosineWithWarmup(5, 100, 0.15)).toBeCloseTo(5 / 15, 12);
    expect(cosineWithWarmup(15, 100, 0.15)).toBe(1);
    expect(cosineWithWarmup(15 + 85 / 2, 100, 0.15)).toBeCloseTo(0.5, 12);
    expect(cosineWithWarmup(100, 100, 0.15)).toBeCloseTo(0, 12);
    // int(7 · 0.15) = 1 warm-up step
    expect(cosineWithWarmup(1, 7, 0.15)).toBe(1);
  });

  it("clips every gradient by their joint norm as PyTorch's clip_grad_norm_", () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0], [4]]) };
    const clipped = clipByGlobalNorm(grads, 1);
    expect(Array.from(clipped.a!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(Array.from(clipped.b!.dataSync())[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const kept = clipByGlobalNorm(grads, 10);
    expect(Array.from(kept.b!.dataSync())).toEqual([0, 4]);
    tf.dispose([...Object.values(grads), ...Object.values(clipped), ...Object.values(kept)]);
  });
});
