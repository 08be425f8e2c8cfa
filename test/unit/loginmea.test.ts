// LoginMEA's own parts (src/engine/models/loginmea/README.md): the adaptive low-rank fusion and the
// one-directional InfoNCE against their formulas written out directly, and the encoder's shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { lowRankFusion } from '../../src/engine/models/loginmea/lmf';
import { infoNce } from '../../src/engine/models/loginmea/loss';
import { Loginmea } from '../../src/engine/models/loginmea/model';
import type { LoginmeaModel } from '../../src/engine/models/loginmea';
import { disposeEmbeddings } from '../../src/engine/models/embeddings';
import { createModel } from '../../src/engine/models/registry';
import { l2normalize } from '../../src/engine/nn/ops';
import { optionsOf } from '../../src/shared/models';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { loginmeaOptions } from '../../src/shared/models/loginmea';
import { nativeGemmOn } from '../../src/engine/nn/gemm';
import { nativeAddonPath } from '../../src/engine/runtime/native';
import { kernelThreads, setKernelThreads, workerCount } from '../../src/engine/runtime/pool';
import { DEMO_DATASET, skipWithout, stepLoss } from '../helpers';

const denseBuilt = !skipWithout('the native dense addon (npm run setup builds it)', nativeAddonPath('dense') !== null);

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});
const rand = mulberry32(9);
const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const paramsOf = (m: { params: Map<string, tf.Variable> }) => new Map([...m.params].map(([k, v]) => [k, Array.from(v.dataSync())]));
const norm = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('LoginMEA', () => {
  it('fuses the modalities with the adaptive low-rank formula', () => {
    const H = 3;
    const R = 2;
    const enc = new Loginmea(features, loginmeaOptions.parse({ hidden: H, rank: R }));
    try {
      expect(enc.fused).toEqual(['rel', 'att']);
      const N = 4;
      const xs = enc.fused.map(() => randn(N * H));
      const { attention, fused } = tf.tidy(() => {
        const x = xs.map((d) => tf.tensor2d(d, [N, H]));
        const normed = x.map((t) => tf.div(t, tf.norm(t, 'euclidean', 1, true)) as tf.Tensor2D);
        const r = enc.fuse(x, normed);
        return { attention: r.attention!.arraySync() as number[][], fused: r.fused.arraySync() as number[][] };
      });
      const p = (name: string) => Array.from(enc.params.get(name)!.dataSync());
      const u = p('joint.attn');
      const w = p('joint.lmf.w');
      const b = p('joint.lmf.b');
      for (let i = 0; i < N; i++) {
        const x = xs.map((d) => Array.from(d.subarray(i * H, (i + 1) * H)));
        // a_m = softmax_m(tanh(x_m) · u)
        const s = x.map((v) => v.reduce((acc, y, c) => acc + Math.tanh(y) * u[c]!, 0));
        const z = s.map((v) => Math.exp(v - Math.max(...s)));
        const a = z.map((v) => v / z.reduce((q, y) => q + y, 0));
        a.forEach((v, m) => expect(attention[i]![m]!).toBeCloseTo(v, 5));
        // out_c = Σ_ρ w_ρ Π_m ([1 ‖ a_m n(x_m)] · F_m[:, ρ·H + c]) + b_c
        for (let c = 0; c < H; c++) {
          let out = b[c]!;
          for (let rho = 0; rho < R; rho++) {
            let prod = 1;
            enc.fused.forEach((m, k) => {
              const F = p(`joint.lmf.${m}`); // (H + 1) × (R·H)
              const zz = [1, ...norm(x[k]!).map((y) => a[k]! * y)];
              prod *= zz.reduce((acc, y, row) => acc + y * F[row * R * H + rho * H + c]!, 0);
            });
            out += w[rho]! * prod;
          }
          expect(fused[i]![c]!).toBeCloseTo(out, 5);
        }
      }
    } finally {
      enc.dispose();
    }
  });

  it('fuses without the low rank (sum), without adaptive weights, and by a Linear over the concatenation', () => {
    const H = 3;
    const N = 4;
    const xs = ['rel', 'att'].map(() => randn(N * H));
    const rows = (d: Float32Array) => Array.from({ length: N }, (_, i) => norm(Array.from(d.subarray(i * H, (i + 1) * H))));
    const fuseWith = (o: object) => {
      const enc = new Loginmea(features, loginmeaOptions.parse({ hidden: H, ...o }));
      try {
        let out!: { a: number[][] | null; fused: number[][]; W: number[] | null; b: number[] | null; lmf: number[] | null };
        tf.tidy(() => {
          const x = xs.map((d) => tf.tensor2d(d, [N, H]));
          const r = enc.fuse(
            x,
            x.map((t) => l2normalize(t)),
          );
          const p = (name: string) => (enc.params.has(name) ? Array.from(enc.params.get(name)!.dataSync()) : null);
          out = { a: (r.attention?.arraySync() as number[][]) ?? null, fused: r.fused.arraySync() as number[][], W: p('joint.concat.W'), b: p('joint.concat.b'), lmf: p('joint.lmf.w') };
        });
        return out;
      } finally {
        enc.dispose();
      }
    };
    const n = xs.map(rows);
    // w/o low-rank: Σ_m a_m n(x_m), no LMF factors
    const sum = fuseWith({ fusion: 'sum' });
    expect(sum.lmf).toBeNull();
    for (let i = 0; i < N; i++) for (let c = 0; c < H; c++) expect(sum.fused[i]![c]!).toBeCloseTo(sum.a![i]![0]! * n[0]![i]![c]! + sum.a![i]![1]! * n[1]![i]![c]!, 5);
    // w/o adaptive weights: every weight 1, no attention
    const flat = fuseWith({ fusion: 'sum', adaptiveWeights: false });
    expect(flat.a).toBeNull();
    for (let i = 0; i < N; i++) for (let c = 0; c < H; c++) expect(flat.fused[i]![c]!).toBeCloseTo(n[0]![i]![c]! + n[1]![i]![c]!, 5);
    // concatenation: [a_1 n(x_1) ‖ a_2 n(x_2)] W + b, W (2H × H)
    const cat = fuseWith({ fusion: 'concat' });
    for (let i = 0; i < N; i++) {
      const v = [...n[0]![i]!.map((y) => cat.a![i]![0]! * y), ...n[1]![i]!.map((y) => cat.a![i]![1]! * y)];
      for (let c = 0; c < H; c++)
        expect(cat.fused[i]![c]!).toBeCloseTo(
          v.reduce((s, y, k) => s + y * cat.W![k * H + c]!, cat.b![c]!),
          5,
        );
    }
  });

  it.each([
    ['LoginMEA', {}, 3 * 8 + 4 * 8, ['rel', 'att'], 'rel'],
    ['the diag GAT for RREA', { graphLayer: 'gat' }, 3 * 8 + 4 * 8, ['rel', 'att'], 'gph.gat0.w'],
    ['GAM: the structure fused as a modality, no joint layers', { paradigm: 'gam' }, 3 * 8 + 8, ['gph', 'rel', 'att'], 'joint.lmf.gph'],
    ['GUM: graph layers on each modality, then fused', { paradigm: 'gum' }, 3 * 8 + 2 * 8 + 8, ['rel', 'att'], 'att.k1'],
  ] as const)('builds the variant %s: its width, what it fuses, its parameters; a step trains it', (_, o, width, fusedModalities, param) => {
    const model = createModel(features, optionsOf({ model: 'loginmea', hidden: 8, ...o }));
    try {
      const enc = (model as LoginmeaModel).encoder;
      expect(enc.fusedModalities).toEqual(fusedModalities);
      expect(enc.params.has(param)).toBe(true);
      if ('graphLayer' in o) expect(enc.params.has('rel')).toBe(false);
      const emb = model.embeddings();
      expect(emb.joint.shape).toEqual([features.rows, width]);
      expect(emb.entityWeights!.modalities).toEqual(fusedModalities);
      disposeEmbeddings(emb);
      const rows = Int32Array.from(features.split.train.subarray(0, 64));
      const plan = { epoch: 0, rows: Int32Array.from([...rows.filter((_, k) => k % 2 === 0), ...rows.filter((_, k) => k % 2 === 1)]), batches: [[0, 32]] as [number, number][] };
      const before = paramsOf(model);
      expect(Number.isFinite(stepLoss(model, plan))).toBe(true);
      // every parameter of the variant is trained (no dead branch)
      for (const [k, v] of paramsOf(model)) expect(v, k).not.toEqual(before.get(k));
    } finally {
      model.dispose();
    }
  });

  it('trains with ICL instead of InfoNCE (both directions, intra-graph negatives)', () => {
    const model = createModel(features, optionsOf({ model: 'loginmea', hidden: 8, loss: 'icl' }));
    const plain = createModel(features, optionsOf({ model: 'loginmea', hidden: 8 }));
    try {
      const rows = Int32Array.from(features.split.train.subarray(0, 64));
      const plan = { epoch: 0, rows: Int32Array.from([...rows.filter((_, k) => k % 2 === 0), ...rows.filter((_, k) => k % 2 === 1)]), batches: [[0, 32]] as [number, number][] };
      const [a, b] = [stepLoss(model, plan), stepLoss(plain, plan)];
      expect(Number.isFinite(a)).toBe(true);
      expect(a).not.toBeCloseTo(b, 3); // the same start, another loss
    } finally {
      model.dispose();
      plain.dispose();
    }
  });

  it.each([
    ['native, one thread', 'auto', 1, true],
    ['native, two threads', 'auto', 2, true],
    ['native, two threads, no per-entity weights', 'auto', 2, false],
    ['tfjs', 'tfjs', 1, true],
  ] as const)('computes the fusion in chunks of rows with the plain tape’s values and gradients (%s)', (_, kernel, threads, weighted) => {
    // 'auto' takes the native products exactly when the addon is built (and on CI it must be)
    if (kernel === 'auto') expect(nativeGemmOn()).toBe(denseBuilt);
    // three modalities (each one's gradient is the product of the two others'); 600 rows: the native
    // kernel's chunks of 256 rows, split over the threads with their own sums of dF and dw
    const [N, H, R, M] = [600, 3, 2, 3];
    const xs = Array.from({ length: M }, () => tf.tensor2d(randn(N * H), [N, H]));
    const a = tf.tensor2d(randn(N * M), [N, M]);
    const Fs = Array.from({ length: M }, () => tf.tensor2d(randn((H + 1) * R * H), [H + 1, R * H]));
    const w = tf.tensor1d(randn(R));
    const b = tf.tensor1d(randn(H));
    const dy = tf.tensor2d(randn(N * H), [N, H]);
    // z_m = [1 ‖ a_m x_m], then Σ_ρ w_ρ Π_m (z_m F_m)[ρ] + b, in plain ops
    const plain = (...x: tf.Tensor[]) => {
      const at = weighted ? (x[2 * M + 2] as tf.Tensor2D) : null;
      const prod = x
        .slice(0, M)
        .map((xm, m) => tf.concat([tf.ones([N, 1]), at ? tf.mul(xm, tf.slice(at, [0, m], [N, 1])) : xm], 1))
        .map((z, m) => tf.matMul(z as tf.Tensor2D, x[M + m] as tf.Tensor2D))
        .reduce((p, q) => tf.mul(p, q));
      return tf.add(tf.sum(tf.mul(tf.reshape(prod, [N, R, H]), tf.reshape(x[2 * M]!, [1, R, 1])), 1), x[2 * M + 1]!);
    };
    // the tfjs path's chunks: 256, 256 and 88 rows
    const chunked = (...x: tf.Tensor[]) =>
      lowRankFusion(
        x.slice(0, M) as tf.Tensor2D[],
        weighted ? (x[2 * M + 2] as tf.Tensor2D) : null,
        x.slice(M, 2 * M) as tf.Tensor2D[],
        x[2 * M] as tf.Tensor1D,
        x[2 * M + 1] as tf.Tensor1D,
        R,
        256,
        kernel,
      );
    const inputs = [...xs, ...Fs, w, b, ...(weighted ? [a] : [])];
    const loss =
      (f: (...x: tf.Tensor[]) => tf.Tensor) =>
      (...x: tf.Tensor[]) =>
        tf.sum(tf.mul(f(...x), dy)) as tf.Scalar;
    const close = (got: tf.Tensor, want: tf.Tensor) => {
      const [x, y] = [got.dataSync(), want.dataSync()];
      expect(x.length).toBe(y.length);
      for (let k = 0; k < x.length; k++) expect(x[k]!).toBeCloseTo(y[k]!, 3);
    };
    const before = kernelThreads();
    try {
      setKernelThreads(threads);
      if (threads > 1) expect(workerCount()).toBe(threads - 1);
      close(chunked(...inputs), plain(...inputs));
      const got = tf.grads(loss(chunked))(inputs);
      const want = tf.grads(loss(plain))(inputs);
      expect(got).toHaveLength(inputs.length); // x, F, w, b and a: every input has its gradient
      got.forEach((g, k) => close(g, want[k]!));
    } finally {
      setKernelThreads(before);
    }
  });

  it('computes the InfoNCE and its gradients natively with the tfjs formula’s values (two threads)', () => {
    expect(nativeGemmOn()).toBe(denseBuilt);
    const [B, d] = [150, 5]; // rows split over the threads' products
    const l = tf.tidy(() => tf.div(tf.tensor2d(randn(B * d), [B, d]), 2)) as tf.Tensor2D;
    const r = tf.tidy(() => tf.div(tf.tensor2d(randn(B * d), [B, d]), 2)) as tf.Tensor2D;
    const before = kernelThreads();
    try {
      setKernelThreads(2);
      const run = (kernel: 'auto' | 'tfjs') => {
        const [lv, rv] = [tf.variable(l, true, `l${kernel}`), tf.variable(r, true, `r${kernel}`)];
        const { value, grads } = tf.variableGrads(() => tf.mul(infoNce(lv, rv, 0.1, kernel), 3) as tf.Scalar, [lv, rv]);
        return [value.dataSync(), grads[lv.name]!.dataSync(), grads[rv.name]!.dataSync()];
      };
      const [native, plain] = [run('auto'), run('tfjs')];
      expect(native.length).toBe(3);
      native.forEach((a, n) => a.forEach((x, i) => expect(x).toBeCloseTo(plain[n]![i]!, 4)));
      expect(Math.max(...Array.from(plain[1]!, Math.abs))).toBeGreaterThan(1e-3);
    } finally {
      setKernelThreads(before);
    }
  });

  it('builds [structure ‖ joint]: 3H for the structure, (modalities + 2)H for the joint, in column blocks', () => {
    const enc = new Loginmea(features, loginmeaOptions.parse({ hidden: 8 }));
    try {
      const shapes = tf.tidy(() => {
        const f = enc.forward();
        const parts = enc.forwardPieces();
        const some = enc.rowsOf(parts, Int32Array.from([3, 0, 3]));
        // a step's rows of the final embedding are those rows of the whole one
        expect(Array.from(some.dataSync()).slice(0, f.joint.shape[1])).toEqual(Array.from(tf.slice(f.joint, [3, 0], [1, -1]).dataSync()));
        return { joint: f.joint.shape, gph: f.mods.get('gph')!.shape, attention: f.attention!.shape, pieces: [...parts.structure, ...parts.joint].map((p) => p.shape[1]), some: some.shape };
      });
      // structure h⁰, h¹, h², the joint layers' h¹, h²; between them in the final embedding the early fusion (two modalities)
      expect(shapes).toEqual({ joint: [features.rows, 3 * 8 + 4 * 8], gph: [features.rows, 24], attention: [features.rows, 2], pieces: [8, 8, 8, 8, 8], some: [3, 3 * 8 + 4 * 8] });
      expect(enc.params.get('rel')!.shape).toEqual([enc.graph.relations, 8]);
    } finally {
      enc.dispose();
    }
  });
});
