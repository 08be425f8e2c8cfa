// CLAMEA's pieces (models/clamea) against plain references written from the paper's equations and
// MSNEA's code: the TransE loss and its row gradients, the supervised (seed-swapped) triples, the
// corruptions, the VAE's reparameterised sample and KL against the closed form, DMAFF and CMAE against a
// per-entity loop, the orthogonality loss and the MSNEA contrastive loss by hand, the seed pairs'
// merged attribute rows, and the missing-modality experiment's drop.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { csrFromCoo } from '../../src/engine/features/sparse';
import { cmae, cmaeParams } from '../../src/engine/models/clamea/cmae';
import { dmaff, dmaffParams } from '../../src/engine/models/clamea/dmaff';
import { klDivergence, vae, vaeParams } from '../../src/engine/models/clamea/dmmg';
import { msneaLoss } from '../../src/engine/models/clamea/loss';
import { Clamea, mergeSeedRows } from '../../src/engine/models/clamea/model';
import { sampleTriples, transeLoss, triplesOf } from '../../src/engine/models/clamea/transe';
import { nativeGemmOn } from '../../src/engine/nn/gemm';
import { mulberry32 } from '../../src/engine/random';
import { nativeAddonPath } from '../../src/engine/runtime/native';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { optionsOf } from '../../src/shared/models';
import type { ClameaOptions } from '../../src/shared/models/clamea';
import { DEMO_DATASET, skipWithout } from '../helpers';

const denseBuilt = !skipWithout('the native dense addon (npm run setup builds it)', nativeAddonPath('dense') !== null);

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});

const rand = mulberry32(5);
const randn = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
const rowsOf = (t: tf.Tensor) => t.arraySync() as number[][];
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const unit = (a: number[]) => a.map((x) => x / Math.sqrt(dot(a, a)));

/** Parameters by name through the blocks' `add` callback, and a draw of seeds. */
function registry() {
  const params = new Map<string, tf.Variable>();
  const add = (name: string, t: tf.Tensor) => {
    // non-zero logits, so a softmax over them is no uniform coincidence
    const v = tf.variable(name.endsWith('logits') ? tf.randomUniform(t.shape, -1, 1, 'float32', 3) : t);
    params.set(name, v);
    return v;
  };
  const seeds = mulberry32(9);
  return { params, add, draw: () => Math.floor(seeds() * 2 ** 31) };
}
type Lin = { W: number[][]; b: number[] };
const linOf = (params: Map<string, tf.Variable>, name: string): Lin => ({ W: rowsOf(params.get(`${name}.W`)!), b: Array.from(params.get(`${name}.b`)!.dataSync()) });
const apply = (x: number[], l: Lin) => l.b.map((b, c) => b + x.reduce((s, v, k) => s + v * l.W[k]![c]!, 0));
const softmax = (x: number[]) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

describe('TransE (appendix B.1, MSNEA model.py)', () => {
  it('sums [γ + ‖n(h) + n(r) − n(t)‖² − ‖n(h′) + n(r) − n(t′)‖²]₊ over the sample', () => {
    const E = [randn(3), randn(3), randn(3), randn(3)];
    const R = [randn(3), randn(3)];
    // two triples (0, r0, 1) and (2, r1, 3), corrupted to (3, r0, 1) and (2, r1, 0)
    const sample = { rows: Int32Array.from([0, 2, 1, 3, 3, 2, 1, 0]), relation: Int32Array.from([0, 1]) };
    const score = (h: number, r: number, t: number) => {
      const [a, b, c] = [unit(E[h]!), unit(R[r]!), unit(E[t]!)];
      return a.reduce((s, x, i) => s + (x + b[i]! - c[i]!) ** 2, 0);
    };
    const expected = Math.max(0, 1 + score(0, 0, 1) - score(3, 0, 1)) + Math.max(0, 1 + score(2, 1, 3) - score(2, 1, 0));
    expect(transeLoss(tf.tensor2d(E), tf.tensor2d(R), sample, 1).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it("gives the entity and relation rows TransE's gradients (finite differences), nothing to untouched rows", () => {
    const E = tf.tensor2d([randn(4), randn(4), randn(4), randn(4), randn(4)]);
    const R = tf.tensor2d([randn(4), randn(4)]);
    const sample = { rows: Int32Array.from([0, 1, 2, 1, 3, 1, 2, 0]), relation: Int32Array.from([0, 1]) };
    const f = (e: tf.Tensor2D, r: tf.Tensor2D) => transeLoss(e, r, sample, 3); // margin 3: both hinges active
    const [dE, dR] = tf
      .grads((e: tf.Tensor, r: tf.Tensor) => f(e as tf.Tensor2D, r as tf.Tensor2D))([E, R])
      .map(rowsOf);
    const h = 1e-2;
    const numeric = (x: tf.Tensor2D, i: number, j: number, other: tf.Tensor2D, isE: boolean) => {
      const bump = (s: number) => {
        const a = rowsOf(x);
        a[i]![j]! += s;
        const t = tf.tensor2d(a);
        return (isE ? f(t, other) : f(other, t)).dataSync()[0]!;
      };
      return (bump(h) - bump(-h)) / (2 * h);
    };
    for (const i of [0, 1, 2, 3]) for (const j of [0, 3]) expect(dE![i]![j]!).toBeCloseTo(numeric(E, i, j, R, true), 2);
    for (const i of [0, 1]) for (const j of [1, 2]) expect(dR![i]![j]!).toBeCloseTo(numeric(R, i, j, E, false), 2);
    expect(dE![4]).toEqual([0, 0, 0, 0]); // row 4 is in no triple
  });

  it("adds each seed pair's swapped triples to the seed's graph, and corrupts within the triple's graph", () => {
    const f = features;
    const plain = triplesOf(f, new Int32Array(0));
    const [e1, e2] = [f.split.train[0]!, f.split.train[1]!];
    const withSeed = triplesOf(f, Int32Array.from([e1, e2]));
    const has = (t: typeof plain, h: number, r: number, tl: number, g: number) => t.head.some((x, i) => x === h && t.relation[i] === r && t.tail[i] === tl && t.graph[i] === g);
    let swapped = 0;
    const expectSwap = (present: boolean) => {
      expect(present).toBe(true);
      swapped++;
    };
    plain.head.forEach((h, i) => {
      const [r, t] = [plain.relation[i]!, plain.tail[i]!];
      if (h === e1) expectSwap(has(withSeed, e2, r, t, 0));
      if (t === e1) expectSwap(has(withSeed, h, r, e2, 0));
      if (h === e2) expectSwap(has(withSeed, e1, r, t, 1));
      if (t === e2) expectSwap(has(withSeed, h, r, e1, 1));
    });
    expect(swapped).toBeGreaterThan(0);
    expect(withSeed.head.length).toBe(plain.head.length + swapped);
    const pick = Int32Array.from({ length: withSeed.head.length }, (_, i) => i);
    const s = sampleTriples(withSeed, pick, f.rows, f.rows1, 1);
    const n = pick.length;
    for (let k = 0; k < n; k++) {
      const [h, t, h2, t2] = [s.rows[k]!, s.rows[n + k]!, s.rows[2 * n + k]!, s.rows[3 * n + k]!];
      expect(h2 === h || t2 === t).toBe(true); // one end is kept
      const changed = h2 === h ? t2 : h2;
      expect(changed < f.rows1 ? 0 : 1).toBe(withSeed.graph[k]);
    }
  });
});

describe('DMMG (§4.4)', () => {
  it('samples z = μ + exp(½ log σ²) ⊙ ε in training and μ in evaluation; KL matches the closed form', () => {
    const { params, add, draw } = registry();
    const p = vaeParams(add, 'v', 4, 3, draw);
    const h = tf.tensor2d([randn(4), randn(4)]);
    const train = vae(h, p, 11);
    const eps = rowsOf(tf.randomNormal([2, 3], 0, 1, 'float32', 11));
    const [mu, lv] = [rowsOf(train.mu), rowsOf(train.logVar)];
    const z = rowsOf(train.z);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(z[i]![j]!).toBeCloseTo(mu[i]![j]! + Math.exp(0.5 * lv[i]![j]!) * eps[i]![j]!, 5);
    expect(rowsOf(vae(h, p, null).z)).toEqual(mu);
    expect(rowsOf(train.recon)[0]![0]).toBeCloseTo(apply(z[0]!, linOf(params, 'v.decode'))[0]!, 5);
    // KL(N(μ, σ²) ‖ N(0, 1)) per dimension: ½ (σ² + μ² − 1 − log σ²), summed, averaged over rows
    const kl = mu.map((row, i) => row.reduce((s, m, j) => s + 0.5 * (Math.exp(lv[i]![j]!) + m * m - 1 - lv[i]![j]!), 0));
    expect(klDivergence(train.mu, train.logVar).dataSync()[0]).toBeCloseTo((kl[0]! + kl[1]!) / 2, 5);
  });
});

describe('DMAFF (§4.3, appendix C)', () => {
  /** One entity through the block as the README reads the paper. */
  function plainDmaff(a: number[], b: number[], params: Map<string, tf.Variable>, heads: number) {
    const L = (n: string) => linOf(params, `f.${n}`);
    const As = apply([...a, ...apply(b, L('interA'))], L('catA'));
    const Bs = apply([...b, ...apply(a, L('interB'))], L('catB'));
    const sig = (x: number[]) => x.map((v) => 1 / (1 + Math.exp(-v)));
    const [gA, gB] = [sig(apply(Bs, L('gateA'))), sig(apply(As, L('gateB')))];
    const scale = (x: number[], g: number[]) => x.map((v, i) => v * (1 + g[i]!));
    const Q = [scale(apply(As, L('qA')), gA), scale(apply(Bs, L('qB')), gB)];
    const K = [scale(apply(As, L('kA')), gA), scale(apply(Bs, L('kB')), gB)];
    const V = [apply(As, L('vA')), apply(Bs, L('vB'))];
    const d = a.length;
    const dh = d / heads;
    const ctx = [new Array<number>(d).fill(0), new Array<number>(d).fill(0)];
    const received = [0, 0];
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < 2; t++) {
        const cols = Array.from({ length: dh }, (_, c) => h * dh + c);
        const p = softmax(K.map((k) => cols.reduce((s, c) => s + Q[t]![c]! * k[c]!, 0) / Math.sqrt(dh)));
        p.forEach((x, u) => {
          received[u]! += x;
          for (const c of cols) ctx[t]![c]! += x * V[u]![c]!;
        });
      }
    }
    const hA = apply(
      As.map((v, i) => v + ctx[0]![i]!),
      L('outA'),
    );
    const hB = apply(
      Bs.map((v, i) => v + ctx[1]![i]!),
      L('outB'),
    );
    const w = softmax(received.map((r) => r / Math.sqrt(2 * heads)));
    return { w, fused: hA.map((v, i) => w[0]! * v + w[1]! * hB[i]!) };
  }

  it('matches a per-entity loop: inter flow, gated intra flow over the two tokens, received-attention weights', () => {
    const { params, add, draw } = registry();
    const p = dmaffParams(add, 'f', 4, draw);
    const [A, B] = [
      [randn(4), randn(4), randn(4)],
      [randn(4), randn(4), randn(4)],
    ];
    const out = dmaff(tf.tensor2d(A), tf.tensor2d(B), p, { heads: 2, maf: true, gate: true });
    const [fused, w] = [rowsOf(out.fused), rowsOf(out.weights)];
    for (let i = 0; i < 3; i++) {
      const ref = plainDmaff(A[i]!, B[i]!, params, 2);
      ref.fused.forEach((v, c) => expect(fused[i]![c]!).toBeCloseTo(v, 4));
      ref.w.forEach((v, c) => expect(w[i]![c]!).toBeCloseTo(v, 5));
    }
    // the gate changes the weights (it is no dead parameter)
    const ungated = rowsOf(dmaff(tf.tensor2d(A), tf.tensor2d(B), p, { heads: 2, maf: true, gate: false }).weights);
    expect(Math.abs(ungated[0]![0]! - w[0]![0]!)).toBeGreaterThan(1e-4);
  });

  it('w/o MAF: Linear of each modality, weighted by one learnt softmax for every entity', () => {
    const { params, add, draw } = registry();
    const p = dmaffParams(add, 'f', 4, draw);
    const [A, B] = [
      [randn(4), randn(4)],
      [randn(4), randn(4)],
    ];
    const out = dmaff(tf.tensor2d(A), tf.tensor2d(B), p, { heads: 2, maf: false, gate: true });
    const w = softmax(Array.from(params.get('f.logits')!.dataSync()));
    rowsOf(out.fused).forEach((row, i) => {
      const [hA, hB] = [apply(A[i]!, linOf(params, 'f.outA')), apply(B[i]!, linOf(params, 'f.outB'))];
      row.forEach((v, c) => expect(v).toBeCloseTo(w[0]! * hA[c]! + w[1]! * hB[c]!, 5));
    });
  });
});

describe('CMAE (§4.5) and the losses', () => {
  it('mixes each modality with MH of the others and of their concatenation; L_s is the squared residual dot, by hand', () => {
    const { params, add, draw } = registry();
    const p = cmaeParams(add, 'c', 3, 4, draw);
    const h = [0, 1, 2].map(() => [randn(4), randn(4)]);
    const out = cmae(
      h.map((x) => tf.tensor2d(x)),
      p,
    );
    const mh = (m: number, s: number, x: number[]) => apply(apply(x, linOf(params, `c${m}.${s}.value`)), linOf(params, `c${m}.${s}.output`));
    let ls = 0;
    for (let m = 0; m < 3; m++) {
      const w = softmax(Array.from(params.get(`c${m}.logits`)!.dataSync()));
      const others = [0, 1, 2].filter((j) => j !== m);
      const hat = rowsOf(out.hat[m]!);
      for (let i = 0; i < 2; i++) {
        const sources = [...others.map((j) => h[j]![i]!), [...h[others[0]!]![i]!, ...h[others[1]!]![i]!]];
        const terms = sources.map((x, s) => mh(m, s, x));
        const ref = h[m]![i]!.map((v, c) => w[0]! * v + terms.reduce((acc, t, s) => acc + w[s + 1]! * t[c]!, 0));
        ref.forEach((v, c) => expect(hat[i]![c]!).toBeCloseTo(v, 4));
        others.forEach(
          (j, s) =>
            (ls +=
              dot(
                h[m]![i]!.map((v, c) => v - terms[s]![c]!),
                h[j]![i]!,
              ) **
                2 /
              2),
        );
      }
    }
    expect(out.orthogonality.dataSync()[0]).toBeCloseTo(ls, 3);
  });

  it("MSNEA's contrastive loss: mean over every pair of (1 − I) S² + I max(γ − S, 0)², S the cosines", () => {
    const [l, r] = [
      [
        [1, 0],
        [0, 2],
      ],
      [
        [1, 1],
        [0, -1],
      ],
    ];
    // S = [[1/√2, 0], [1/√2, −1]]: positives S00 = 1/√2, S11 = −1; negatives 0 and 1/√2
    const s = Math.SQRT1_2;
    const expected = ((2 - s) ** 2 + 0 + s ** 2 + 3 ** 2) / 4;
    for (const kernel of ['auto', 'tfjs'] as const) expect(msneaLoss(tf.tensor2d(l), tf.tensor2d(r), 2, kernel).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('the native loss has the tfjs formula’s value and gradients', () => {
    expect(nativeGemmOn()).toBe(denseBuilt); // 'auto' is native exactly where the addon is built (on CI it must be)
    const [l, r] = [tf.tensor2d([randn(5), randn(5), randn(5)]), tf.tensor2d([randn(5), randn(5), randn(5)])];
    const run = (kernel: 'auto' | 'tfjs') => {
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => msneaLoss(a as tf.Tensor2D, b as tf.Tensor2D, 2, kernel))([l, r]);
      return [value.dataSync()[0]!, ...grads.flatMap((g) => Array.from(g.dataSync()))];
    };
    const [native, plain] = [run('auto'), run('tfjs')];
    native.forEach((x, i) => expect(x).toBeCloseTo(plain[i]!, 5));
  });
});

describe('the attribute input', () => {
  it("gives both entities of a seed pair the normalised sum of their rows (MSNEA's attribute union)", () => {
    const csr = csrFromCoo(4, 3, [0, 0, 1, 2], [0, 1, 1, 2], [0.6, 0.8, 1, 1]);
    const missing = Uint8Array.from([0, 0, 0, 1]);
    const m = mergeSeedRows(csr, Int32Array.from([0, 1, 3, 2]), missing);
    const row = (i: number) =>
      Array.from({ length: 3 }, (_, c) => {
        for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) if (m.indices[p] === c) return m.values[p]!;
        return 0;
      });
    const n = Math.hypot(0.6, 1.8);
    for (const i of [0, 1]) row(i).forEach((v, c) => expect(v).toBeCloseTo([0.6 / n, 1.8 / n, 0][c]!, 6));
    expect(row(3)).toEqual([0, 0, 1]); // row 3 had none: it takes row 2's, and is no longer missing
    expect(Array.from(missing)).toEqual([0, 0, 0, 0]);
  });

  it('--drop-attributes empties that share of the entities that had attributes, the same ones for every model option', () => {
    const o = (x: Partial<ClameaOptions>) => optionsOf({ model: 'clamea', ...x }) as ClameaOptions;
    const base = new Clamea(features, o({}));
    const had = base.missing.get('att')!.reduce((s, x) => s + (x ? 0 : 1), 0);
    const a = new Clamea(features, o({ dropAttributes: 0.3, dmmg: false }));
    const b = new Clamea(features, o({ dropAttributes: 0.3 }));
    const dropped = a.missing.get('att')!.reduce((s, x, i) => s + (x && !base.missing.get('att')![i] ? 1 : 0), 0);
    // seed pairs keep their union, so a little less than 30 % of those with attributes
    expect(dropped).toBeGreaterThan(0.2 * had);
    expect(dropped).toBeLessThanOrEqual(Math.round(0.3 * had));
    expect(Array.from(a.missing.get('att')!)).toEqual(Array.from(b.missing.get('att')!));
    for (const c of [base, a, b]) c.dispose();
  });
});
