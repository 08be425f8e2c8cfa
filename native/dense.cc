// Native dense kernels, written because speed demands it: the training step's loss heads
// (src/engine/model/heads.ts batchLoss, its value and gradients), the evaluation's similarity rows,
// and the sparse rows × dense products of the MoE inputs (kernels.ts spmmForward / spmmBackward). On the wasm backend the heads were half of an FB15K-DB15K epoch: XNNPACK's 128-bit products
// plus dozens of single-threaded element-wise kernels over B × 2B matrices per batch. Here the same
// mathematics runs as one function: a small packed matrix product (gemm.inc) that the compiler maps to
// each instruction set's vectors, the widest the machine has chosen at load (below), and each row's
// softmax, cross-entropy and gradient in one pass.
//
// Not bit-identical to the tfjs version (sums in double, fused multiply-adds, another order of
// products); test/unit/dense.test.ts checks value and every gradient against heads.ts batchLoss.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <limits>
#include <vector>

#include "napi_ctx.h"

namespace {

using mmea::Ctx;

// ---------------------------------------------------------------------------------------------
// The matrix product, one build per instruction set, chosen when the addon loads (a shipped binary
// cannot be built for the machine that runs it with -march=native): on x86-64, AVX-512 (x86-64-v4),
// AVX2 + FMA (v3) and the SSE baseline every x86-64 has (the rest of this file is built for that
// baseline). MMEA_GEMM=avx512|avx2|sse forces one (bench/blas.mjs sets each beside OpenBLAS).
// Elsewhere (arm64: NEON is the baseline) one build. Our own kernel rather than a BLAS library:
// measured beside single-threaded OpenBLAS by bench/blas.mjs (docs/benchmarks.md), it is faster on
// the AVX-512 machines we have, and no BLAS ships with Node or Electron.

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")
namespace v4 {
constexpr int VW = 16;
#include "gemm.inc"
}  // namespace v4
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace v3 {
constexpr int VW = 8;
#include "gemm.inc"
}  // namespace v3
#pragma GCC pop_options
namespace v1 {
constexpr int VW = 4;
#include "gemm.inc"
}  // namespace v1
#else
namespace v1 {
constexpr int VW = 4;
#include "gemm.inc"
}  // namespace v1
#endif

using GemmFn = void (*)(int, int, int, const float*, int, const float*, int, bool, float*, int, bool);
struct Gemm {
  GemmFn fn;
  const char* isa;
};

Gemm pickGemm() {
  const char* forced = std::getenv("MMEA_GEMM");
  const std::string want = forced ? forced : "";
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (want == "sse") return {v1::gemm, "sse"};
  if (want == "avx2" && avx2) return {v3::gemm, "avx2"};
  if ((want.empty() || want == "avx512") && avx512) return {v4::gemm, "avx512"};
  if (avx2) return {v3::gemm, "avx2"};
  return {v1::gemm, "sse"};
#else
  return {v1::gemm, "generic"};
#endif
}

const Gemm GEMM = pickGemm();

inline void gemm(int m, int n, int k, const float* A, int lda, const float* B, int ldb, bool transB, float* C, int ldc, bool accumulate) {
  GEMM.fn(m, n, k, A, lda, B, ldb, transB, C, ldc, accumulate);
}

// ---------------------------------------------------------------------------------------------
// The loss heads (methods.md §1.3; heads.ts and losses.ts say the same in tfjs ops). A batch of B
// pairs: every input holds B left rows then B right rows.

const double LARGE = 1e9;  // the self-similarity mask of losses.ts (its entries' exp is 0)

/** Row-wise x / max(‖x‖, eps) as ops.ts l2normalize: n = x·r, r[i] = rsqrt(max(‖x_i‖², eps²)). */
void normalise(const float* x, int rows, int d, float* n, float* r) {
  const double eps2 = static_cast<double>(static_cast<float>(1e-24));
  for (int i = 0; i < rows; i++) {
    const float* xi = x + static_cast<size_t>(i) * d;
    double s = 0;
    for (int c = 0; c < d; c++) s += static_cast<double>(xi[c]) * xi[c];
    const float ri = static_cast<float>(1 / std::sqrt(std::max(s, eps2)));
    r[i] = ri;
    for (int c = 0; c < d; c++) n[static_cast<size_t>(i) * d + c] = xi[c] * ri;
  }
}

/** dx from dn through n = x·r: r·(dn − n·(n·dn)), or r·dn where the norm was clamped at eps
 *  (tf.maximum's gradient goes to the constant there). Writes dx. */
void normaliseBack(const float* x, int rows, int d, const float* n, const float* r, const float* dn, float* dx) {
  const double eps2 = static_cast<double>(static_cast<float>(1e-24));
  for (int i = 0; i < rows; i++) {
    const size_t o = static_cast<size_t>(i) * d;
    double s = 0;
    double nd = 0;
    for (int c = 0; c < d; c++) {
      s += static_cast<double>(x[o + c]) * x[o + c];
      nd += static_cast<double>(n[o + c]) * dn[o + c];
    }
    const float proj = s >= eps2 ? static_cast<float>(nd) : 0.0f;
    for (int c = 0; c < d; c++) dx[o + c] = r[i] * (dn[o + c] - n[o + c] * proj);
  }
}

/** f(i, j) for every i, j < n, tile by tile: the loops that read a B × B block transposed (b·aᵀ from
 *  a·bᵀ, the gradients' Cᵀ) touch a row of 64 floats at a time instead of one float per row of
 *  8–18 KB (a cache miss per read on FB15K-DB15K's 2,312-pair batches). With the vectorised exp and
 *  the scratch below, the ICL of a 2,312-pair × 300 batch went from 367 to 221 ms on one thread
 *  (`node bench/dense.mjs` beside the previous build: docs/benchmarks.md, "The ICL kernel"). */
template <typename F>
void forTiles(int n, F f) {
  constexpr int TILE = 64;
  for (int i0 = 0; i0 < n; i0 += TILE)
    for (int j0 = 0; j0 < n; j0 += TILE)
      for (int i = i0; i < std::min(n, i0 + TILE); i++)
        for (int j = j0; j < std::min(n, j0 + TILE); j++) f(i, j);
}

/** S = [a·bᵀ ‖ a·aᵀ] and T = [b·aᵀ ‖ b·bᵀ] (B × 2B each) of the normalised halves a, b (B × d). */
void similarities(int B, int d, const float* a, const float* b, float* S, float* T) {
  gemm(B, B, d, a, d, b, d, true, S, 2 * B, false);
  gemm(B, B, d, a, d, a, d, true, S + B, 2 * B, false);
  gemm(B, B, d, b, d, b, d, true, T + B, 2 * B, false);
  forTiles(B, [&](int i, int j) { T[static_cast<size_t>(i) * 2 * B + j] = S[static_cast<size_t>(j) * 2 * B + i]; });
}

/** e^x for x ≤ 0 (a softmax's entries after its max is taken off), written to vectorise: Cephes'
 *  expf (range reduction by n = round(x / ln 2) in two parts, a degree-6 polynomial, 2^n from the
 *  exponent bits), no branch and no call; relative error below 2e-7 on [−87, 0], and below −87 (where
 *  e^x < 2e-38 weighs nothing in a sum with e^0 = 1) the value at −87. std::exp is a scalar call
 *  per entry, B × 4B of them per ICL. */
inline float expNonPositive(float x) {
  x = std::max(x, -87.0f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  const float y = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f) * r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && !defined(__clang__)
#define MMEA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MMEA_CLONES
#endif

/** One row's softmax of z = s/τ with entry `masked` left out (the −LARGE of losses.ts: its p is
 *  0): writes p and the z used, returns the row's max + log Σ exp. Built for each vector width
 *  (target clones: the file's baseline is SSE). */
MMEA_CLONES double softmaxRow(const float* s, int n, int masked, float inv, float* z, float* p) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (int j = 0; j < n; j++) {
    z[j] = s[j] * inv;
    m = std::max(m, j == masked ? -std::numeric_limits<float>::infinity() : z[j]);
  }
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < n; j++) {
    const float e = j == masked ? 0.0f : expNonPositive(z[j] - m);
    p[j] = e;
    sum += e;
  }
  const float rs = static_cast<float>(1 / sum);
#pragma omp simd
  for (int j = 0; j < n; j++) p[j] *= rs;
  return m + std::log(sum);
}

struct Target {
  std::vector<float> a, b;  // the row distributions of both blocks (B × 2B)
  double negEntropy = 0;    // Σ t·log max(t, 1e-30) over both
};

/** IAL's fixed target from the joint's similarity blocks at τ₂ (losses.ts ialTarget). */
Target ialTarget(int B, const float* S, const float* T, double tau) {
  Target t;
  const int n = 2 * B;
  t.a.resize(static_cast<size_t>(B) * n);
  t.b.resize(static_cast<size_t>(B) * n);
  std::vector<float> z(n);
  const float inv = static_cast<float>(1 / tau);
  for (int half = 0; half < 2; half++) {
    const float* X = half ? T : S;
    float* P = half ? t.b.data() : t.a.data();
    for (int i = 0; i < B; i++) {
      float* p = P + static_cast<size_t>(i) * n;
      softmaxRow(X + static_cast<size_t>(i) * n, n, B + i, inv, z.data(), p);
      for (int j = 0; j < n; j++) t.negEntropy += static_cast<double>(p[j]) * std::log(std::max(p[j], 1e-30f));
    }
  }
  return t;
}

/** One cross-entropy term over both blocks (losses.ts fusedTerms): ICL (target null: the
 *  diagonal of the cross-graph half, mean over rows, ½ per block) or IAL's KL (mean over all
 *  B × 2B entries, ½ per block) at τ. Adds weight·scale/τ·(p − t) to the blocks' gradients GA, GB
 *  and returns the term's value (unweighted). */
double term(int B, const float* S, const float* T, double pairDot, double tau, const Target* target, double weight, float* GA, float* GB) {
  const int n = 2 * B;
  const double scale = target ? 0.5 / (2.0 * B * B) : 0.5 / B;
  const float c = static_cast<float>(weight * scale / tau);
  const float inv = static_cast<float>(1 / tau);
  std::vector<float> z(n);
  std::vector<float> p(n);
  double logNorm = 0;
  double cross = 0;
  for (int half = 0; half < 2; half++) {
    const float* X = half ? T : S;
    float* G = half ? GB : GA;
    const float* tt = target ? (half ? target->b.data() : target->a.data()) : nullptr;
    for (int i = 0; i < B; i++) {
      const size_t o = static_cast<size_t>(i) * n;
      logNorm += softmaxRow(X + o, n, B + i, inv, z.data(), p.data());
      float* g = G + o;
      if (tt) {
        const float* t = tt + o;
        for (int j = 0; j < n; j++) {
          g[j] += c * (p[j] - t[j]);
          if (j != B + i) cross += static_cast<double>(t[j]) * z[j];
        }
      } else {
        for (int j = 0; j < n; j++) g[j] += c * p[j];
        g[i] -= c;
      }
    }
  }
  if (!target) return scale * (logNorm - 2 * pairDot / tau);
  return scale * (target->negEntropy - cross + logNorm);
}

/** The similarities' gradients GA, GB taken back to the halves: da += (GA₁ + GB₁ᵀ)·b +
 *  (GA₂ + GA₂ᵀ)·a, db += (GA₁ + GB₁ᵀ)ᵀ·a + (GB₂ + GB₂ᵀ)·b (losses.ts's gradFunc). `scratch1` and
 *  `scratch2` (B × 2B each: the similarity blocks, no longer needed) hold the four B × B sums, so a
 *  call allocates nothing (no fresh pages to fault in and zero). */
void backprop(int B, int d, const float* a, const float* b, const float* GA, const float* GB, float* da, float* db, float* scratch1, float* scratch2) {
  const size_t n = 2 * static_cast<size_t>(B);
  const size_t BB = static_cast<size_t>(B) * B;
  float* C = scratch1;
  float* Ct = scratch1 + BB;
  float* SA = scratch2;
  float* SB = scratch2 + BB;
  forTiles(B, [&](int i, int j) {
    const size_t ij = static_cast<size_t>(i) * B + j;
    const float cij = GA[i * n + j] + GB[j * n + i];
    C[ij] = cij;
    Ct[static_cast<size_t>(j) * B + i] = cij;
    SA[ij] = GA[i * n + B + j] + GA[j * n + B + i];
    SB[ij] = GB[i * n + B + j] + GB[j * n + B + i];
  });
  gemm(B, d, B, C, B, b, d, false, da, d, true);
  gemm(B, d, B, SA, B, a, d, false, da, d, true);
  gemm(B, d, B, Ct, B, a, d, false, db, d, true);
  gemm(B, d, B, SB, B, b, d, false, db, d, true);
}

double pairDot(int B, int d, const float* a, const float* b) {
  double s = 0;
  for (size_t k = 0; k < static_cast<size_t>(B) * d; k++) s += static_cast<double>(a[k]) * b[k];
  return s;
}

/** This thread's scratch of at least n floats (grow-only, kept for the next call; not zeroed). */
float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

double number(Ctx& c, napi_value v, const char* what) {
  double x = 0;
  if (c.ok && napi_get_value_double(c.env, v, &x) != napi_ok) c.fail(what);
  return x;
}

uint32_t length(Ctx& c, napi_value arr, const char* what) {
  uint32_t n = 0;
  if (c.ok && napi_get_array_length(c.env, arr, &n) != napi_ok) c.fail(what);
  return n;
}

// batchHeads(args): args as headsTask.ts HeadsArgs = {size, options: {tauCl, tauAl, clLoss,
// alLoss, without: number[]}, inputs: [{data, shape}] (modalities, fusion weights, sCl, sAl),
// value: Float64Array(1), grads: Float32Array[] (one per input)}; fills value and grads.
napi_value BatchHeads(napi_env env, napi_callback_info info) {
  napi_value args;
  if (!mmea::taskArg(env, info, &args)) return nullptr;
  Ctx c{env};
  const int B = static_cast<int>(c.num(args, "size"));
  napi_value o = c.prop(args, "options");
  const double tauCl = c.num(o, "tauCl"), tauAl = c.num(o, "tauAl"), clLoss = c.num(o, "clLoss"), alLoss = c.num(o, "alLoss");
  napi_value without = c.prop(o, "without");
  bool useIcl = true, useIal = true;
  for (uint32_t k = 0, n = length(c, without, "options.without"); k < n && c.ok; k++) {
    const double w = number(c, c.at(without, k), "options.without");
    if (w == 7) useIcl = false;
    if (w == 8) useIal = false;
  }
  napi_value inputs = c.prop(args, "inputs");
  napi_value gradsArr = c.prop(args, "grads");
  const int M = static_cast<int>(length(c, inputs, "inputs")) - 3;
  double* value = c.f64(c.prop(args, "value"), "value");
  if (!c.ok) return nullptr;
  if (M < 1 || B < 1) {
    c.fail("inputs: at least one modality and one pair");
    return nullptr;
  }
  const int rows = 2 * B;
  std::vector<const float*> X(M);
  std::vector<float*> dX(M);
  std::vector<int> d(M);
  std::vector<int> off(M);
  int D = 0;
  for (int m = 0; m < M && c.ok; m++) {
    napi_value in = c.at(inputs, m);
    size_t len = 0;
    X[m] = c.f32(c.prop(in, "data"), "inputs[].data", &len);
    d[m] = static_cast<int>(number(c, c.at(c.prop(in, "shape"), 1), "inputs[].shape"));
    size_t glen = 0;
    dX[m] = c.f32(c.at(gradsArr, m), "grads[]", &glen);
    if (c.ok && (d[m] < 1 || len != static_cast<size_t>(rows) * d[m] || glen != len)) c.fail("inputs[]: not 2·size rows of its width, or its gradient's length differs");
    off[m] = D;
    D += d[m];
  }
  const float* vec[3];
  float* gvec[3];
  for (int k = 0; k < 3 && c.ok; k++) {
    size_t len = 0, glen = 0;
    vec[k] = c.f32(c.prop(c.at(inputs, M + k), "data"), "inputs[].data", &len);
    gvec[k] = c.f32(c.at(gradsArr, M + k), "grads[]", &glen);
    if (c.ok && (len != static_cast<size_t>(M) || glen != len)) c.fail("fusion weights, sCl and sAl: one value per modality");
  }
  if (!c.ok) return nullptr;
  const float* w = vec[0];
  const float* sCl = vec[1];
  const float* sAl = vec[2];

  // forward: normalised modalities, the joint (weighted concatenation) and its normalisation
  std::vector<std::vector<float>> N(M), r(M), dN(M);
  std::vector<float> J(static_cast<size_t>(rows) * D);
  for (int m = 0; m < M; m++) {
    N[m].resize(static_cast<size_t>(rows) * d[m]);
    r[m].resize(rows);
    dN[m].assign(N[m].size(), 0.0f);
    normalise(X[m], rows, d[m], N[m].data(), r[m].data());
    for (int i = 0; i < rows; i++)
      for (int k = 0; k < d[m]; k++) J[static_cast<size_t>(i) * D + off[m] + k] = N[m][static_cast<size_t>(i) * d[m] + k] * w[m];
  }
  std::vector<float> nj(J.size()), rj(rows), dnj(J.size(), 0.0f);
  normalise(J.data(), rows, D, nj.data(), rj.data());

  const size_t blk = static_cast<size_t>(B) * rows;
  // the similarity blocks and their gradients in this thread's scratch (kept between calls) instead
  // of four fresh B × 2B vectors per call: 171 MB to fault in and zero on a 2,312-pair batch, ~8 MB
  // on a 512-pair one
  float* const S = scratch(4 * blk);
  float* const T = S + blk;
  float* const GA = T + blk;
  float* const GB = GA + blk;
  std::fill(GA, GA + 2 * blk, 0.0f);
  double loss = 0;
  // the joint's ICL, and IAL's target from the same similarity products
  const float* ja = nj.data();
  const float* jb = nj.data() + static_cast<size_t>(B) * D;
  similarities(B, D, ja, jb, S, T);
  loss += term(B, S, T, pairDot(B, D, ja, jb), tauCl, nullptr, 1.0, GA, GB);
  Target target;
  if (useIal) target = ialTarget(B, S, T, tauAl);
  backprop(B, D, ja, jb, GA, GB, dnj.data(), dnj.data() + static_cast<size_t>(B) * D, S, T);

  // each modality's ICL and IAL, weighted by the learnable e^{−s}
  for (int m = 0; m < M; m++) {
    const double wCl = static_cast<float>(std::exp(-static_cast<double>(sCl[m])) * clLoss);
    const double wAl = static_cast<float>(std::exp(-static_cast<double>(sAl[m])) * alLoss * alLoss);
    gvec[1][m] = 0;
    gvec[2][m] = 0;
    if (!useIcl && !useIal) continue;
    const float* a = N[m].data();
    const float* b = N[m].data() + static_cast<size_t>(B) * d[m];
    similarities(B, d[m], a, b, S, T);
    std::fill(GA, GA + 2 * blk, 0.0f);
    if (useIcl) {
      const double v = term(B, S, T, pairDot(B, d[m], a, b), tauCl, nullptr, wCl, GA, GB);
      loss += wCl * v;
      gvec[1][m] = static_cast<float>(-wCl * v + clLoss);
    }
    if (useIal) {
      const double v = term(B, S, T, 0, tauAl, &target, wAl, GA, GB);
      loss += wAl * v;
      gvec[2][m] = static_cast<float>(-wAl * v + alLoss);
    }
    backprop(B, d[m], a, b, GA, GB, dN[m].data(), dN[m].data() + static_cast<size_t>(B) * d[m], S, T);
  }
  for (int m = 0; m < M; m++) {
    if (useIcl) loss += clLoss * sCl[m];
    if (useIal) loss += alLoss * sAl[m];
  }

  // the joint's gradient back through its normalisation and the weighted concatenation
  std::vector<float> dJ(J.size());
  normaliseBack(J.data(), rows, D, nj.data(), rj.data(), dnj.data(), dJ.data());
  for (int m = 0; m < M; m++) {
    double dw = 0;
    for (int i = 0; i < rows; i++)
      for (int k = 0; k < d[m]; k++) {
        const size_t at = static_cast<size_t>(i) * d[m] + k;
        const float g = dJ[static_cast<size_t>(i) * D + off[m] + k];
        dw += static_cast<double>(g) * N[m][at];
        dN[m][at] += w[m] * g;
      }
    gvec[0][m] = static_cast<float>(dw);
    normaliseBack(X[m], rows, d[m], N[m].data(), r[m].data(), dN[m].data(), dX[m]);
  }
  value[0] = loss;
  return nullptr;
}

// similarityRows(task, i0, i1): task = {a, b, n, k, out}; out rows i0..i1 (n wide) = a's rows
// i0..i1 (k wide) · bᵀ (b: n × k). The evaluation's blocks, a row range per thread (pool.ts).
napi_value SimilarityRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0 = 0, i1 = 0;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const int n = static_cast<int>(c.num(task, "n"));
  const int k = static_cast<int>(c.num(task, "k"));
  size_t la = 0, lb = 0, lo = 0;
  const float* a = c.f32(c.prop(task, "a"), "a", &la);
  const float* b = c.f32(c.prop(task, "b"), "b", &lb);
  float* out = c.f32(c.prop(task, "out"), "out", &lo);
  if (!c.ok) return nullptr;
  if (i0 < 0 || i1 < i0 || lb != static_cast<size_t>(n) * k || la < static_cast<size_t>(i1) * k || lo < static_cast<size_t>(i1) * n) {
    c.fail("similarityRows: sizes do not match");
    return nullptr;
  }
  gemm(static_cast<int>(i1 - i0), n, k, a + i0 * k, k, b, k, true, out + i0 * n, n, false);
  return nullptr;
}

// The low-rank multimodal fusion (LoginMEA; src/engine/models/loginmea/lmf.ts says the same in tfjs
// ops): out = Σ_ρ w_ρ Π_m (z_m F_m)[ρ] + b over M modalities, z_m = [1 ‖ a_m x_m] (x_m rows × H, the
// normalised modality; a rows × M, the per-entity weights, or none: all 1), F_m (H + 1) × (R·H), each
// rank ρ a column block of H. z_m is built here chunk by chunk rather than given (two rows × 301
// matrices per modality and their gradients fewer in memory on FB15K-DB15K). A row range per thread
// (pool.ts), in chunks of LMF_CHUNK rows so the rank products (chunk × R·H per modality) stay in
// cache; nothing kept for the backward pass, which recomputes them (all rows' products are 267 MB per
// modality on FB15K-DB15K).
const int LMF_CHUNK = 256;

struct Lmf {
  int M = 0, K = 0, R = 0, H = 0;
  std::vector<const float*> x, F;
  const float* a = nullptr;  // rows × M, or null
  const float* w = nullptr;
  size_t rows = 0;
};

Lmf lmfOf(Ctx& c, napi_value task) {
  Lmf t;
  t.M = static_cast<int>(c.num(task, "M"));
  t.H = static_cast<int>(c.num(task, "H"));
  t.R = static_cast<int>(c.num(task, "R"));
  t.K = t.H + 1;
  if (!c.ok) return t;
  if (t.M < 1 || t.R < 1 || t.H < 1) {
    c.fail("lmf: M, R and H must be positive");
    return t;
  }
  napi_value xs = c.prop(task, "x"), Fs = c.prop(task, "F"), a = c.prop(task, "a");
  size_t nw = 0, na = 0;
  t.w = c.f32(c.prop(task, "w"), "w", &nw);
  for (int m = 0; m < t.M && c.ok; m++) {
    size_t nx = 0, nF = 0;
    t.x.push_back(c.f32(c.at(xs, m), "x[m]", &nx));
    t.F.push_back(c.f32(c.at(Fs, m), "F[m]", &nF));
    if (!c.ok) break;
    if (nF != static_cast<size_t>(t.K) * t.R * t.H || nx % t.H != 0 || (m > 0 && nx / t.H != t.rows)) c.fail("lmf: x[m] or F[m] has the wrong size");
    t.rows = nx / t.H;
  }
  if (!c.ok) return t;
  napi_valuetype at;
  napi_typeof(c.env, a, &at);
  if (at != napi_null) {
    t.a = c.f32(a, "a", &na);
    if (c.ok && na != t.rows * t.M) c.fail("lmf: a has the wrong size");
  }
  if (c.ok && nw != static_cast<size_t>(t.R)) c.fail("lmf: w has the wrong size");
  return t;
}

/** z (n × K) of modality m for rows [s, s + n): [1 ‖ a_m x_m]. */
void lmfInput(const Lmf& t, int m, int64_t s, int n, float* z) {
  for (int i = 0; i < n; i++) {
    const float am = t.a ? t.a[(s + i) * t.M + m] : 1.0f;
    const float* xi = t.x[m] + (s + i) * t.H;
    float* zi = z + static_cast<size_t>(i) * t.K;
    zi[0] = 1;
    for (int h = 0; h < t.H; h++) zi[1 + h] = am * xi[h];
  }
}

/** P[m] (n × R·H) = z_m F_m for rows [s, s + n); Z[m] gets z_m. */
void lmfProducts(const Lmf& t, int64_t s, int n, std::vector<std::vector<float>>& Z, std::vector<std::vector<float>>& P) {
  const int RH = t.R * t.H;
  for (int m = 0; m < t.M; m++) {
    lmfInput(t, m, s, n, Z[m].data());
    gemm(n, RH, t.K, Z[m].data(), t.K, t.F[m], RH, false, P[m].data(), RH, false);
  }
}

// lmfForwardRows(task, i0, i1): task = {M, R, H, x: [M], a, F: [M], w, b, out}; out rows i0..i1.
napi_value LmfForwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0 = 0, i1 = 0;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Lmf t = lmfOf(c, task);
  size_t nb = 0, no = 0;
  const float* b = c.f32(c.prop(task, "b"), "b", &nb);
  float* out = c.f32(c.prop(task, "out"), "out", &no);
  if (!c.ok) return nullptr;
  if (nb != static_cast<size_t>(t.H) || no != t.rows * t.H || i0 < 0 || i1 < i0 || static_cast<size_t>(i1) > t.rows) {
    c.fail("lmfForwardRows: sizes do not match");
    return nullptr;
  }
  const int RH = t.R * t.H;
  std::vector<std::vector<float>> P(t.M, std::vector<float>(static_cast<size_t>(LMF_CHUNK) * RH));
  std::vector<std::vector<float>> Z(t.M, std::vector<float>(static_cast<size_t>(LMF_CHUNK) * t.K));
  std::vector<float> prod(RH);
  for (int64_t s = i0; s < i1; s += LMF_CHUNK) {
    const int n = static_cast<int>(std::min<int64_t>(LMF_CHUNK, i1 - s));
    lmfProducts(t, s, n, Z, P);
    for (int i = 0; i < n; i++) {
      const size_t row = static_cast<size_t>(i) * RH;
      std::copy(P[0].data() + row, P[0].data() + row + RH, prod.data());
      for (int m = 1; m < t.M; m++)
        for (int x = 0; x < RH; x++) prod[x] *= P[m][row + x];
      float* o = out + (s + i) * t.H;
      for (int h = 0; h < t.H; h++) o[h] = b[h];
      for (int r = 0; r < t.R; r++)
        for (int h = 0; h < t.H; h++) o[h] += t.w[r] * prod[static_cast<size_t>(r) * t.H + h];
    }
  }
  return nullptr;
}

// lmfBackwardRows(task, i0, i1): task = {M, R, H, x, a, F, w, dy, dx: [M], da, acc: {dF: [M], dw}};
// writes rows i0..i1 of dx[m] (through z_m = [1 ‖ a_m x_m]: a_m dz_m[1:]) and of da (rows × M:
// dz_m[1:] · x_m; absent without a), and adds rows i0..i1's share into acc.dF[m] ((H + 1) × R·H) and
// acc.dw (R, doubles). db = Σ_i dy_i is the caller's.
napi_value LmfBackwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0 = 0, i1 = 0;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Lmf t = lmfOf(c, task);
  size_t ny = 0, nda = 0;
  const float* dy = c.f32(c.prop(task, "dy"), "dy", &ny);
  float* da = t.a ? c.f32(c.prop(task, "da"), "da", &nda) : nullptr;
  napi_value acc = c.prop(task, "acc");
  napi_value dxs = c.prop(task, "dx");
  napi_value dFs = c.prop(acc, "dF");
  double* dw = c.f64(c.prop(acc, "dw"), "acc.dw");
  std::vector<float*> dx, dF;
  const int RH = t.R * t.H;
  for (int m = 0; m < t.M && c.ok; m++) {
    size_t nx = 0, nF = 0;
    dx.push_back(c.f32(c.at(dxs, m), "dx[m]", &nx));
    dF.push_back(c.f32(c.at(dFs, m), "acc.dF[m]", &nF));
    if (c.ok && (nx != t.rows * t.H || nF != static_cast<size_t>(t.K) * RH)) c.fail("lmfBackwardRows: dx[m] or acc.dF[m] has the wrong size");
  }
  if (!c.ok) return nullptr;
  if (ny != t.rows * t.H || (t.a && nda != t.rows * t.M) || i0 < 0 || i1 < i0 || static_cast<size_t>(i1) > t.rows) {
    c.fail("lmfBackwardRows: sizes do not match");
    return nullptr;
  }
  std::vector<std::vector<float>> P(t.M, std::vector<float>(static_cast<size_t>(LMF_CHUNK) * RH));
  std::vector<std::vector<float>> Z(t.M, std::vector<float>(static_cast<size_t>(LMF_CHUNK) * t.K));
  std::vector<float> dP(static_cast<size_t>(LMF_CHUNK) * RH), zt(static_cast<size_t>(t.K) * LMF_CHUNK), dz(static_cast<size_t>(LMF_CHUNK) * t.K);
  std::vector<double> dwSum(t.R, 0.0);
  for (int64_t s = i0; s < i1; s += LMF_CHUNK) {
    const int n = static_cast<int>(std::min<int64_t>(LMF_CHUNK, i1 - s));
    lmfProducts(t, s, n, Z, P);
    const size_t len = static_cast<size_t>(n) * RH;
    for (int m = 0; m < t.M; m++) {
      // dP_m = (dy ⊗ w) ⊙ Π of the other modalities' products; dw from the full product (m = 0)
      std::fill(dP.begin(), dP.begin() + len, 1.0f);
      for (int q = 0; q < t.M; q++)
        if (q != m)
          for (size_t x = 0; x < len; x++) dP[x] *= P[q][x];
      for (int i = 0; i < n; i++) {
        const float* g = dy + (s + i) * t.H;
        for (int r = 0; r < t.R; r++) {
          float* d = dP.data() + static_cast<size_t>(i) * RH + static_cast<size_t>(r) * t.H;
          if (m == 0) {
            const float* p0 = P[0].data() + static_cast<size_t>(i) * RH + static_cast<size_t>(r) * t.H;
            double dwr = 0;
            for (int h = 0; h < t.H; h++) dwr += static_cast<double>(g[h] * d[h] * p0[h]);
            dwSum[r] += dwr;
          }
          const float wr = t.w[r];
          for (int h = 0; h < t.H; h++) d[h] *= g[h] * wr;
        }
      }
      // dz_m = dP_m F_mᵀ (n × K), then through z_m = [1 ‖ a_m x_m] to x_m and a_m
      gemm(n, t.K, RH, dP.data(), RH, t.F[m], RH, true, dz.data(), t.K, false);
      for (int i = 0; i < n; i++) {
        const float* dzi = dz.data() + static_cast<size_t>(i) * t.K + 1;
        const float* xi = t.x[m] + (s + i) * t.H;
        float* dxi = dx[m] + (s + i) * t.H;
        const float am = t.a ? t.a[(s + i) * t.M + m] : 1.0f;
        double dam = 0;
        for (int h = 0; h < t.H; h++) {
          dxi[h] = am * dzi[h];
          dam += static_cast<double>(dzi[h]) * xi[h];
        }
        if (da) da[(s + i) * t.M + m] = static_cast<float>(dam);
      }
      // dF_m += z_mᵀ dP_m (K × R·H), z's chunk transposed first
      const float* zm = Z[m].data();
      for (int i = 0; i < n; i++)
        for (int k = 0; k < t.K; k++) zt[static_cast<size_t>(k) * n + i] = zm[static_cast<size_t>(i) * t.K + k];
      gemm(t.K, RH, n, zt.data(), n, dP.data(), RH, false, dF[m], RH, true);
    }
  }
  for (int r = 0; r < t.R; r++) dw[r] += dwSum[r];
  return nullptr;
}

// tanhRows(task, i0, i1): task = {x, out, d}; out rows i0..i1 (d wide) = tanh of x's. tfjs's Tanh on
// wasm is one scalar loop on one thread (~13 ns an entry): LoginMEA's four over every entity were
// ~10 % of its FB15K-DB15K step.
napi_value TanhRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0 = 0, i1 = 0;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const int64_t d = static_cast<int64_t>(c.num(task, "d"));
  size_t nx = 0, no = 0;
  const float* x = c.f32(c.prop(task, "x"), "x", &nx);
  float* out = c.f32(c.prop(task, "out"), "out", &no);
  if (!c.ok) return nullptr;
  if (d < 1 || i0 < 0 || i1 < i0 || nx != no || static_cast<size_t>(i1 * d) > nx) {
    c.fail("tanhRows: sizes do not match");
    return nullptr;
  }
  for (int64_t k = i0 * d; k < i1 * d; k++) out[k] = std::tanh(x[k]);
  return nullptr;
}

// kernels.ts SparseRows: rows picked (repeats allowed) from a CSR matrix.
struct Sparse {
  const int32_t* rows = nullptr;
  size_t nRows = 0;
  const int32_t* indptr = nullptr;
  size_t nPtr = 0;
  const int32_t* indices = nullptr;
  const float* values = nullptr;
  /** f(value, column) for each entry of picked row i; rows and columns out of range are skipped */
  template <typename F>
  void row(size_t i, size_t columns, F f) const {
    const int32_t r = rows[i];
    if (r < 0 || static_cast<size_t>(r) + 1 >= nPtr) return;
    for (int32_t p = indptr[r]; p < indptr[r + 1]; p++)
      if (indices[p] >= 0 && static_cast<size_t>(indices[p]) < columns) f(values[p], static_cast<size_t>(indices[p]));
  }
};

Sparse sparseOf(Ctx& c, napi_value task) {
  Sparse x;
  x.rows = static_cast<const int32_t*>(c.data(c.prop(task, "rows"), napi_int32_array, &x.nRows, "rows"));
  x.indptr = static_cast<const int32_t*>(c.data(c.prop(task, "indptr"), napi_int32_array, &x.nPtr, "indptr"));
  x.indices = c.i32(c.prop(task, "indices"), "indices");
  x.values = c.f32(c.prop(task, "values"), "values");
  return x;
}

// spmmRows(task, i0, i1): task = {rows, indptr, indices, values, W, C, out}; out rows i0..i1 (C wide)
// = Σ_p values[p]·W[indices[p]] over the CSR row rows[i] (kernels.ts spmmForward: the MoE inputs'
// bag-of-words rows times the experts' weights).
napi_value SpmmRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0 = 0, i1 = 0;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Sparse x = sparseOf(c, task);
  size_t nW = 0, nOut = 0;
  const float* W = c.f32(c.prop(task, "W"), "W", &nW);
  float* out = c.f32(c.prop(task, "out"), "out", &nOut);
  const int C = static_cast<int>(c.num(task, "C"));
  if (!c.ok) return nullptr;
  if (C < 1 || i0 < 0 || i1 < i0 || static_cast<size_t>(i1) > x.nRows || nOut < x.nRows * C) {
    c.fail("spmmRows: sizes do not match");
    return nullptr;
  }
  for (int64_t i = i0; i < i1; i++) {
    float* o = out + i * C;
    std::fill(o, o + C, 0.0f);
    x.row(static_cast<size_t>(i), nW / C, [&](float v, size_t q) {
      const float* w = W + q * C;
      for (int k = 0; k < C; k++) o[k] += v * w[k];
    });
  }
  return nullptr;
}

// spmmBack(task): task = {rows, indptr, indices, values, dOut, C, dW}; dW (in × C) += xᵀ·dOut
// (kernels.ts spmmBackward).
napi_value SpmmBack(napi_env env, napi_callback_info info) {
  napi_value task;
  if (!mmea::taskArg(env, info, &task)) return nullptr;
  Ctx c{env};
  const Sparse x = sparseOf(c, task);
  size_t nD = 0, nW = 0;
  const float* dOut = c.f32(c.prop(task, "dOut"), "dOut", &nD);
  float* dW = c.f32(c.prop(task, "dW"), "dW", &nW);
  const int C = static_cast<int>(c.num(task, "C"));
  if (!c.ok) return nullptr;
  if (C < 1 || nD < x.nRows * C) {
    c.fail("spmmBack: sizes do not match");
    return nullptr;
  }
  for (size_t i = 0; i < x.nRows; i++) {
    const float* g = dOut + i * C;
    x.row(i, nW / C, [&](float v, size_t q) {
      float* w = dW + q * C;
      for (int k = 0; k < C; k++) w[k] += v * g[k];
    });
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"batchHeads", nullptr, BatchHeads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"similarityRows", nullptr, SimilarityRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spmmRows", nullptr, SpmmRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spmmBack", nullptr, SpmmBack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lmfForwardRows", nullptr, LmfForwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanhRows", nullptr, TanhRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lmfBackwardRows", nullptr, LmfBackwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  // which build of the matrix product this machine runs (runs record it)
  napi_value isa;
  napi_create_string_utf8(env, GEMM.isa, NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
