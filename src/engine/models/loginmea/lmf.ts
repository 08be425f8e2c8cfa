// The low-rank multimodal fusion's products as one op, out = Σ_ρ w_ρ Π_m (z_m F_m)[ρ] + b with
// z_m = [1 ‖ a_m x_m] (x_m a normalised modality, a_m its per-entity weight), computed in chunks of
// rows with nothing kept for the backward pass but the inputs: under a plain gradient
// tape the rank products of every entity (rows × rank·H per modality, 267 MB each on FB15K-DB15K) and
// their products stay alive until the backward pass, which overflowed the wasm heap. The backward
// recomputes them chunk by chunk (a host read per chunk in the forward: the CPU backends' path).
import { nativeDenseOn, type LmfTask, type NativeDense } from '../../runtime/native';
import { addInto, shareable, sharedF32, sharedF64, splitRows } from '../../runtime/pool';
import { onDevice } from '../../runtime/kernelPath';
import { currentBackend, tf } from '../../runtime/tf';

const CHUNK = 2048;

/** xs[m]: rows × H; a: rows × M (null: every weight 1); Fs[m]: (H + 1) × (R·H); w: R; b: H.
 *  `kernel`: 'auto' runs it natively where the native dense kernels are built (runtime/native.ts, with z_m
 *  built chunk by chunk there), 'tfjs' always in tfjs. */
export function lowRankFusion(xs: tf.Tensor2D[], a: tf.Tensor2D | null, Fs: tf.Tensor2D[], w: tf.Tensor1D, b: tf.Tensor1D, rank: number, chunk = CHUNK, kernel: 'auto' | 'tfjs' = 'auto'): tf.Tensor2D {
  const dense = kernel === 'auto' ? nativeDenseOn(currentBackend()) : null;
  if (dense) return nativeFusion(dense, xs, a, Fs, w, b, rank);
  const N = xs[0]!.shape[0];
  const ones = tf.ones([N, 1]);
  const zs = xs.map((x, m) => tf.concat([ones, a ? tf.mul(x, tf.slice(a, [0, m], [N, 1])) : x], 1) as tf.Tensor2D);
  return onDevice() ? deviceFusion(zs, Fs, w, b, rank) : chunkedFusion(zs, Fs, w, b, rank, chunk);
}

/** The fusion as plain tfjs ops, differentiated by tfjs: the device path (runtime/kernelPath.ts),
 *  where the chunks' host reads would stall the device and its memory holds the rank products. */
function deviceFusion(zs: tf.Tensor2D[], Fs: tf.Tensor2D[], w: tf.Tensor1D, b: tf.Tensor1D, rank: number): tf.Tensor2D {
  const N = zs[0]!.shape[0];
  const H = b.shape[0];
  const P = zs.map((z, m) => tf.matMul(z, Fs[m]!));
  const prod = P.slice(1).reduce((acc, p) => tf.mul(acc, p), P[0]!);
  return tf.add(tf.sum(tf.mul(tf.reshape(prod, [N, rank, H]), tf.reshape(w, [1, rank, 1])), 1), b) as tf.Tensor2D;
}

/** The fusion in tfjs ops from the z_m, by chunks of rows. */
function chunkedFusion(zs: tf.Tensor2D[], Fs: tf.Tensor2D[], w: tf.Tensor1D, b: tf.Tensor1D, rank: number, chunk: number): tf.Tensor2D {
  const M = zs.length;
  const N = zs[0]!.shape[0];
  const H = b.shape[0];
  const chunks: [number, number][] = [];
  for (let s = 0; s < N; s += chunk) chunks.push([s, Math.min(chunk, N - s)]);
  /** each modality's rank products of rows [s, s + n) */
  const products = (z: tf.Tensor2D[], F: tf.Tensor2D[], s: number, n: number) => z.map((zm, m) => tf.matMul(tf.slice(zm, [s, 0], [n, -1]), F[m]!));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    save(inputs);
    const [z, F, wt, bt] = [inputs.slice(0, M) as tf.Tensor2D[], inputs.slice(M, 2 * M) as tf.Tensor2D[], inputs[2 * M] as tf.Tensor1D, inputs[2 * M + 1] as tf.Tensor1D];
    // under a gradient tape, the ops run here are recorded too and their saved tensors outlive any
    // tidy: each chunk's result is read out and everything made for it disposed by hand (the tape
    // never follows these nodes: the op's output is its own)
    const out = new Float32Array(N * H);
    for (const [s, n] of chunks) {
      const made: tf.Tensor[] = [];
      const k = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
      const P = z.map((zm, m) => k(tf.matMul(k(tf.slice(zm, [s, 0], [n, -1])), F[m]!)));
      const prod = P.slice(1).reduce((a, p) => k(tf.mul(a, p)), P[0]!);
      const o = k(tf.add(k(tf.sum(k(tf.mul(k(tf.reshape(prod, [n, rank, H])), k(tf.reshape(wt, [1, rank, 1])))), 1)), bt));
      out.set(o.dataSync(), s * H);
      tf.dispose(made);
    }
    const value = tf.tensor2d(out, [N, H]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [sz, sF, sw] = [saved.slice(0, M) as tf.Tensor2D[], saved.slice(M, 2 * M) as tf.Tensor2D[], saved[2 * M] as tf.Tensor1D];
        const Ft = sF.map((x) => tf.transpose(x)); // explicit transposes: matMul's transpose flags are slow on wasm
        let dF = sF.map((x) => tf.zerosLike(x));
        let dw = tf.zerosLike(sw);
        const dz: tf.Tensor[][] = Array.from({ length: M }, () => []);
        for (const [s, n] of chunks) {
          const [nextF, nextW, ...dzs] = tf.tidy(() => {
            const P = products(sz, sF, s, n);
            const g = tf.slice(dy as tf.Tensor2D, [s, 0], [n, -1]);
            const g3 = tf.reshape(g, [n, 1, H]);
            const prod = P.reduce((a, p) => tf.mul(a, p));
            const dwChunk = tf.sum(tf.mul(tf.reshape(prod, [n, rank, H]), g3), [0, 2]);
            const dProd = tf.reshape(tf.mul(g3, tf.reshape(sw, [1, rank, 1])), [n, rank * H]);
            const out: tf.Tensor[] = [];
            const dFs = P.map((_, m) => {
              const others = P.filter((__, k) => k !== m).reduce((a, p) => tf.mul(a, p), tf.onesLike(dProd) as tf.Tensor);
              const dP = tf.mul(dProd, others) as tf.Tensor2D;
              out.push(tf.matMul(dP, Ft[m]!));
              return tf.add(dF[m]!, tf.matMul(tf.transpose(tf.slice(sz[m]!, [s, 0], [n, -1])), dP));
            });
            return [tf.stack(dFs), tf.add(dw, dwChunk), ...out];
          });
          tf.dispose([...dF, dw]);
          dF = tf.unstack(nextF!) as tf.Tensor2D[];
          nextF!.dispose();
          dw = nextW as tf.Tensor1D;
          dzs.forEach((t, m) => dz[m]!.push(t!));
        }
        const dzFull = dz.map((p) => {
          const t = p.length === 1 ? p[0]! : tf.concat(p, 0);
          if (p.length > 1) tf.dispose(p);
          return t;
        });
        tf.dispose(Ft);
        return [...dzFull, ...dF, dw, tf.sum(dy as tf.Tensor2D, 0)];
      },
    };
  });
  return f(...zs, ...Fs, w, b) as tf.Tensor2D;
}

/** The same op in the native dense kernels (native/dense.cc lmfForwardRows / lmfBackwardRows): the
 *  rows split over the kernel threads, each thread's share of dF and dw summed into its own and added
 *  in thread order; dx and da rows written by the thread that owns them. */
function nativeFusion(dense: NativeDense, xs: tf.Tensor2D[], a: tf.Tensor2D | null, Fs: tf.Tensor2D[], w: tf.Tensor1D, b: tf.Tensor1D, rank: number): tf.Tensor2D {
  const M = xs.length;
  const N = xs[0]!.shape[0];
  const H = b.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const base: LmfTask = {
      M,
      R: rank,
      H,
      // shared once: the backward pass reads them again
      x: inputs.slice(0, M).map((t) => shareable(t.dataSync() as Float32Array)),
      F: inputs.slice(M, 2 * M).map((t) => shareable(t.dataSync() as Float32Array)),
      w: inputs[2 * M]!.dataSync() as Float32Array,
      a: a ? shareable(inputs[2 * M + 2]!.dataSync() as Float32Array) : null,
    };
    const fwd = { ...base, b: inputs[2 * M + 1]!.dataSync() as Float32Array, out: sharedF32(N * H) };
    splitRows(N, 64, 'lmfForwardRows', fwd, (i0, i1) => dense.lmfForwardRows(fwd, i0, i1));
    return {
      value: tf.tensor2d(fwd.out, [N, H]),
      gradFunc: (dy) => {
        const g = (dy as tf.Tensor).dataSync() as Float32Array;
        const sums = () => ({ dF: base.F.map((x) => sharedF32(x.length)), dw: sharedF64(rank) });
        const acc = sums();
        const back = { ...base, dy: g, dx: base.x.map((x) => sharedF32(x.length)), da: sharedF32(a ? N * M : 0) };
        splitRows(
          N,
          64,
          'lmfBackwardRows',
          back,
          (i0, i1) => dense.lmfBackwardRows({ ...back, acc }, i0, i1),
          sums,
          (part) => {
            part.dF.forEach((x, m) => addInto(acc.dF[m]!, x));
            addInto(acc.dw, part.dw);
          },
        );
        return [
          ...back.dx.map((x) => tf.tensor2d(x, [N, H])),
          ...acc.dF.map((x) => tf.tensor2d(x, [H + 1, rank * H])),
          tf.tensor1d(Float32Array.from(acc.dw)),
          tf.sum(dy as tf.Tensor2D, 0),
          ...(a ? [tf.tensor2d(back.da, [N, M])] : []),
        ];
      },
    };
  });
  return f(...xs, ...Fs, w, b, ...(a ? [a] : [])) as tf.Tensor2D;
}
