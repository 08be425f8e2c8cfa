// MPSEA's pre-synergistic fusion layer (models/mpsea/mmpf.ts) against a per-entity loop written from
// its description: own projections per token, the structure attending to itself alone, the others
// over every token's slot plus the structure's λ-scaled prefix, Eq. 9's weights; and λ's gradient.
import { beforeAll, describe, expect, it } from 'vitest';
import { mmpfLayer, type MmpfParams } from '../../src/engine/models/mpsea/mmpf';
import type { Modality } from '../../src/engine/models/modalities';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('wasm');
});

const rand = mulberry32(23);
const randn = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
type Plain = { W: number[][]; b: number[] };
const plainLinear = (i: number, o: number): Plain => ({ W: Array.from({ length: i }, () => randn(o)), b: randn(o) });
const apply = (x: number[], l: Plain) => l.b.map((b, c) => b + x.reduce((s, v, k) => s + v * l.W[k]![c]!, 0));
const norm = (x: number[]) => {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
  return x.map((y) => (y - m) / Math.sqrt(v + 1e-12));
};

describe('MMPF layer', () => {
  const [rows, d, heads] = [4, 6, 2];
  const order: Modality[] = ['rel', 'att', 'gph'];
  const plain = new Map(order.map((m) => [m, { query: plainLinear(d, d), key: plainLinear(d, d), value: plainLinear(d, d) }]));
  const output = plainLinear(d, d);
  const [inner, outer] = [plainLinear(d, 5), plainLinear(5, d)];
  const lambdaG = 0.7;
  const X = new Map(order.map((m) => [m, Array.from({ length: rows }, () => randn(d))]));
  const lin = (l: Plain) => ({ W: tf.tensor2d(l.W), b: tf.tensor1d(l.b) });
  const ones = () => ({ gamma: tf.ones([d]) as tf.Tensor1D, beta: tf.zeros([d]) as tf.Tensor1D });
  const params = (lambda: tf.Tensor1D): MmpfParams => ({
    projections: new Map(order.map((m) => [m, { query: lin(plain.get(m)!.query), key: lin(plain.get(m)!.key), value: lin(plain.get(m)!.value) }])),
    output: lin(output),
    norm: ones(),
    ffn: { inner: lin(inner), outer: lin(outer), norm: ones() },
    lambda: new Map([['gph', lambda]]),
  });

  it('matches the per-entity description, weights included', () => {
    const got = tf.tidy(() => {
      const r = mmpfLayer(new Map(order.map((m) => [m, tf.tensor2d(X.get(m)!)])), params(tf.tensor1d([lambdaG])), { heads, dropout: 0.1, seed: null, prefixes: ['gph', 'img'] });
      return { tokens: order.map((m) => r.tokens.get(m)!.arraySync()), weights: r.weights.arraySync() };
    });
    const dh = d / heads;
    for (let i = 0; i < rows; i++) {
      const x = new Map(order.map((m) => [m, X.get(m)![i]!]));
      const pr = (m: Modality, w: 'query' | 'key' | 'value') => apply(x.get(m)!, plain.get(m)![w]);
      const keys = [pr('rel', 'key'), pr('att', 'key'), pr('gph', 'key').map((v) => v * lambdaG)];
      const vals = [pr('rel', 'value'), pr('att', 'value'), pr('gph', 'value').map((v) => v * lambdaG)];
      const beta = [0, 0, 0];
      const ctx = new Map<Modality, number[]>([['gph', pr('gph', 'value')]]);
      for (const m of ['rel', 'att'] as const) {
        const q = pr(m, 'query');
        const c = new Array<number>(d).fill(0);
        for (let h = 0; h < heads; h++) {
          const s = keys.map((k) => k.slice(h * dh, (h + 1) * dh).reduce((a, v, j) => a + v * q[h * dh + j]!, 0) / Math.sqrt(dh));
          const mx = Math.max(...s);
          const e = s.map((v) => Math.exp(v - mx));
          const z = e.reduce((a, b) => a + b, 0);
          e.forEach((v, u) => {
            beta[u]! += v / z;
            for (let j = h * dh; j < (h + 1) * dh; j++) c[j]! += (v / z) * vals[u]![j]!;
          });
        }
        ctx.set(m, c);
      }
      order.forEach((m, t) => {
        const a = norm(apply(ctx.get(m)!, output).map((v, j) => v + x.get(m)![j]!));
        const f = apply(
          apply(a, inner).map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
          outer,
        );
        const want = norm(f.map((v, j) => v + a[j]!));
        want.forEach((v, j) => expect(got.tokens[t]![i]![j]!).toBeCloseTo(v, 3));
      });
      // Eq. 9: rel and att over √(2 · heads), the structure's prefix slot over √heads
      const logits = [beta[0]! / Math.sqrt(2 * heads), beta[1]! / Math.sqrt(2 * heads), beta[2]! / Math.sqrt(heads)];
      const z = logits.reduce((a, b) => a + Math.exp(b), 0);
      logits.forEach((l, t) => expect(got.weights[i]![t]!).toBeCloseTo(Math.exp(l) / z, 5));
    }
  });

  it("gives λ the gradient of finite differences, and none without the structure's prefix", () => {
    const xs = new Map(order.map((m) => [m, tf.tensor2d(X.get(m)!)]));
    const C = tf.tensor2d(Array.from({ length: rows }, () => randn(3)));
    const f = (lambda: tf.Tensor, prefixes: ('gph' | 'img')[]) => {
      const r = mmpfLayer(xs, params(lambda as tf.Tensor1D), { heads, dropout: 0, seed: null, prefixes });
      return tf.add(tf.sum(tf.mul(r.weights, C)), tf.sum(r.tokens.get('rel')!)) as tf.Scalar;
    };
    const g = tf
      .grad((l: tf.Tensor) => f(l, ['gph']))(tf.tensor1d([lambdaG]))
      .dataSync()[0]!;
    const h = 1e-3;
    const at = (v: number) => tf.tidy(() => f(tf.tensor1d([v]), ['gph']).dataSync()[0]!);
    expect(g).toBeCloseTo((at(lambdaG + h) - at(lambdaG - h)) / (2 * h), 2);
    expect(Math.abs(g)).toBeGreaterThan(1e-3);
    // the ablation w/o MMPF-gph: the structure is no prefix (its weight logit 0), which changes both
    // the text tokens' attention and every weight
    const weights = (prefixes: ('gph' | 'img')[]) =>
      tf.tidy(() =>
        mmpfLayer(xs, params(tf.tensor1d([lambdaG])), { heads, dropout: 0, seed: null, prefixes })
          .weights.arraySync()
          .flat(),
      );
    const [withPrefix, without] = [weights(['gph']), weights([])];
    expect(Math.max(...without.map((v, k) => Math.abs(v - withPrefix[k]!)))).toBeGreaterThan(1e-3);
  });
});

/** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
}
