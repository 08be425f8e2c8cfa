// Native versions of the GAT layer's row kernels (src/engine/nn/kernels.ts gatForwardRows and
// gatBackwardRows), written because speed demands it: the TypeScript loops cost ~2.5 ns per
// multiply-add, most of a training step. Same task objects, same arithmetic in the same order
// (double accumulators, float storage, no contraction into fused multiply-adds), so results match the
// TypeScript kernels except where the C library's exp and V8's differ in the last bit. Plain N-API
// (no C++ wrapper library), so one build loads in Node, in worker threads and in Electron.
#include <node_api.h>

#include "napi_ctx.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

using mmea::Ctx;

const double SLOPE = 0.2;

struct Graph {
  int32_t* indptr;
  int32_t* indices;
  int32_t* self;
};

Graph graphOf(Ctx& c, napi_value task) {
  napi_value g = c.prop(task, "g");
  return {c.i32(c.prop(g, "indptr"), "g.indptr"), c.i32(c.prop(g, "indices"), "g.indices"), c.i32(c.prop(g, "self"), "g.self")};
}

// What both kernels read from their task: X, D, w, heads, the graph and the forward's arrays.
struct Layer {
  const float* X;
  int D;
  const float* w;
  int heads;
  Graph g;
  napi_value f;
  std::vector<float*> alpha, agg, s1, s2;
};

Layer layerOf(Ctx& c, napi_value task) {
  Layer l;
  l.X = c.f32(c.prop(task, "X"), "X");
  l.D = static_cast<int>(c.num(task, "D"));
  l.w = c.f32(c.prop(task, "w"), "w");
  l.heads = static_cast<int>(c.num(task, "heads"));
  l.g = graphOf(c, task);
  l.f = c.prop(task, "f");
  l.alpha = c.perHead<float>(c.prop(l.f, "alpha"), l.heads, &Ctx::f32h, "f.alpha");
  l.agg = c.perHead<float>(c.prop(l.f, "agg"), l.heads, &Ctx::f32h, "f.agg");
  l.s1 = c.perHead<float>(c.prop(l.f, "s1"), l.heads, &Ctx::f32h, "f.s1");
  l.s2 = c.perHead<float>(c.prop(l.f, "s2"), l.heads, &Ctx::f32h, "f.s2");
  return l;
}


// gatForwardRows(task, i0, i1): task = {X, D, w, heads, g, f: {out, alpha[], agg[], s1[], s2[]}}
napi_value ForwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0, i1;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Layer l = layerOf(c, task);
  float* out = c.f32(c.prop(l.f, "out"), "f.out");
  if (!c.ok) return nullptr;
  std::vector<double> acc(static_cast<size_t>(l.heads) * l.D);
  std::vector<double> e(l.heads);
  for (int64_t i = i0; i < i1; i++) {
    const int p0 = l.g.indptr[i];
    const int p1 = l.g.indptr[i + 1];
    for (int k = 0; k < l.heads; k++) {
      float* al = l.alpha[k];
      const double s = l.s1[k][i];
      const float* s2 = l.s2[k];
      double max = -std::numeric_limits<double>::infinity();
      for (int p = p0; p < p1; p++) {
        const double z = s + static_cast<double>(s2[l.g.indices[p]]);
        const double u = -(z > 0 ? z : SLOPE * z);
        al[p] = static_cast<float>(u);
        if (u > max) max = u;
      }
      double sum = 0;
      for (int p = p0; p < p1; p++) {
        const double x = std::exp(static_cast<double>(al[p]) - max);
        al[p] = static_cast<float>(x);
        sum += x;
      }
      for (int p = p0; p < p1; p++) al[p] = static_cast<float>(static_cast<double>(al[p]) / sum);
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    if (l.heads == 2) {
      const float* a0 = l.alpha[0];
      const float* a1 = l.alpha[1];
      double* acc0 = acc.data();
      double* acc1 = acc.data() + l.D;
      for (int p = p0; p < p1; p++) {
        const float* xq = l.X + static_cast<size_t>(l.g.indices[p]) * l.D;
        const double e0 = a0[p];
        const double e1 = a1[p];
        for (int d = 0; d < l.D; d++) {
          const double x = xq[d];
          acc0[d] += e0 * x;
          acc1[d] += e1 * x;
        }
      }
    } else {
      for (int p = p0; p < p1; p++) {
        const float* xq = l.X + static_cast<size_t>(l.g.indices[p]) * l.D;
        for (int k = 0; k < l.heads; k++) e[k] = l.alpha[k][p];
        for (int d = 0; d < l.D; d++) {
          const double x = xq[d];
          for (int k = 0; k < l.heads; k++) acc[static_cast<size_t>(k) * l.D + d] += e[k] * x;
        }
      }
    }
    const size_t oi = static_cast<size_t>(i) * l.D;
    for (int k = 0; k < l.heads; k++) {
      float* agg = l.agg[k];
      for (int d = 0; d < l.D; d++) {
        const double v = acc[static_cast<size_t>(k) * l.D + d];
        agg[oi + d] = static_cast<float>(v);
        out[oi + d] = static_cast<float>(static_cast<double>(out[oi + d]) + (static_cast<double>(l.w[k * l.D + d]) * v) / l.heads);
      }
    }
  }
  return nullptr;
}

// gatBackwardRows(task, i0, i1): task = {X, D, w, w1, a, heads, g, f, dOut, acc: {dX, dw, ds2[], dv1[]}}
// (w1: the left weight of the attention scalar s1, w itself but in MPSEA's multi-weight layer)
napi_value BackwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0, i1;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Layer l = layerOf(c, task);
  const float* a = c.f32(c.prop(task, "a"), "a");
  const float* w1 = c.f32(c.prop(task, "w1"), "w1");
  const float* dOut = c.f32(c.prop(task, "dOut"), "dOut");
  napi_value accObj = c.prop(task, "acc");
  float* dX = c.f32(c.prop(accObj, "dX"), "acc.dX");
  float* dw = c.f32(c.prop(accObj, "dw"), "acc.dw");
  std::vector<double*> ds2(l.heads), dv1(l.heads);
  napi_value ds2Arr = c.prop(accObj, "ds2");
  napi_value dv1Arr = c.prop(accObj, "dv1");
  for (int k = 0; k < l.heads && c.ok; k++) {
    ds2[k] = c.f64(c.at(ds2Arr, k), "acc.ds2");
    dv1[k] = c.f64(c.at(dv1Arr, k), "acc.dv1");
  }
  if (!c.ok) return nullptr;
  std::vector<double> dagg(static_cast<size_t>(l.heads) * l.D), cc(l.heads), dAlpha(l.heads), ds1(l.heads);
  for (int64_t i = i0; i < i1; i++) {
    const size_t oi = static_cast<size_t>(i) * l.D;
    for (int k = 0; k < l.heads; k++) {
      const float* agg = l.agg[k];
      double ck = 0;
      for (int d = 0; d < l.D; d++) {
        const double gi = static_cast<double>(dOut[oi + d]) / l.heads;
        dw[k * l.D + d] = static_cast<float>(static_cast<double>(dw[k * l.D + d]) + gi * static_cast<double>(agg[oi + d]));
        const double v = gi * static_cast<double>(l.w[k * l.D + d]);
        dagg[static_cast<size_t>(k) * l.D + d] = v;
        ck += v * static_cast<double>(agg[oi + d]);
      }
      cc[k] = ck;
      ds1[k] = 0;
    }
    const int p0 = l.g.indptr[i];
    const int p1 = l.g.indptr[i + 1];
    for (int p = p0; p < p1; p++) {
      const int j = l.g.indices[p];
      float* dxq = dX + static_cast<size_t>(j) * l.D;
      const float* xq = l.X + static_cast<size_t>(j) * l.D;
      if (l.heads == 2) {
        const double e0 = l.alpha[0][p];
        const double e1 = l.alpha[1][p];
        const double* g0s = dagg.data();
        const double* g1s = dagg.data() + l.D;
        double d0 = 0;
        double d1 = 0;
        for (int d = 0; d < l.D; d++) {
          const double x = xq[d];
          const double g0 = g0s[d];
          const double g1 = g1s[d];
          d0 += g0 * x;
          d1 += g1 * x;
          dxq[d] = static_cast<float>(static_cast<double>(dxq[d]) + (e0 * g0 + e1 * g1));
        }
        dAlpha[0] = d0;
        dAlpha[1] = d1;
      } else {
        std::fill(dAlpha.begin(), dAlpha.end(), 0.0);
        for (int d = 0; d < l.D; d++) {
          const double x = xq[d];
          double acc = 0;
          for (int k = 0; k < l.heads; k++) {
            dAlpha[k] += dagg[static_cast<size_t>(k) * l.D + d] * x;
            acc += static_cast<double>(l.alpha[k][p]) * dagg[static_cast<size_t>(k) * l.D + d];
          }
          dxq[d] = static_cast<float>(static_cast<double>(dxq[d]) + acc);
        }
      }
      for (int k = 0; k < l.heads; k++) {
        const double e = l.alpha[k][p];
        const double z = static_cast<double>(l.s1[k][i]) + static_cast<double>(l.s2[k][j]);
        const double dz = e * (dAlpha[k] - cc[k]) * (z > 0 ? -1.0 : -SLOPE);
        ds1[k] += dz;
        ds2[k][j] += dz;
      }
    }
    const size_t o = static_cast<size_t>(l.g.self[i]) * l.D;
    for (int k = 0; k < l.heads; k++) {
      const double s = ds1[k];
      if (s == 0) continue;
      double* dv = dv1[k];
      for (int d = 0; d < l.D; d++) {
        dX[o + d] = static_cast<float>(static_cast<double>(dX[o + d]) + s * static_cast<double>(w1[k * l.D + d]) * static_cast<double>(a[k * 2 * l.D + d]));
        dv[d] += s * static_cast<double>(l.X[o + d]);
      }
    }
  }
  return nullptr;
}


// The RREA layer's row kernels (src/engine/nn/rrea.ts rreaForwardRowsTs and rreaBackwardRowsTs).
// Unlike the GAT's kernels above, not the TypeScript arithmetic in its order: they were most of a
// LoginMEA step on FB15K-DB15K in doubles (four layers over 646,806 edges × 300 columns each way), so
// the per-edge dot products and updates run in float, vectorised (omp simd reductions; a build per
// instruction set where GCC can clone functions), with g·m_e = g·h_j − 2(h_j·r_c)(g·r_c) instead of
// a third pass, and the per-set sums dr in float too (dlogit, a scalar per set, stays in double).
// test/unit/rrea.test.ts holds them to the TypeScript kernels within float32 tolerance.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && !defined(__clang__)
#define MMEA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MMEA_CLONES
#endif

struct Rrea {
  int32_t* indptr;
  int32_t* src;
  int32_t* set;
  const float* H;
  int d;
  const float* r;
  float* out;
  float* alpha;
};

Rrea rreaOf(Ctx& c, napi_value task) {
  napi_value g = c.prop(task, "g");
  Rrea t;
  t.indptr = c.i32(c.prop(g, "indptr"), "g.indptr");
  t.src = c.i32(c.prop(g, "src"), "g.src");
  t.set = c.i32(c.prop(g, "set"), "g.set");
  t.H = c.f32(c.prop(task, "H"), "H");
  t.d = static_cast<int>(c.num(task, "d"));
  t.r = c.f32(c.prop(task, "r"), "r");
  t.out = c.f32(c.prop(task, "out"), "out");
  t.alpha = c.f32(c.prop(task, "alpha"), "alpha");
  return t;
}

MMEA_CLONES
void rreaForwardRange(const Rrea& t, const float* logit, int64_t i0, int64_t i1) {
  const int d = t.d;
  std::vector<float> accv(d);
  float* acc = accv.data();
  for (int64_t i = i0; i < i1; i++) {
    const int e0 = t.indptr[i], e1 = t.indptr[i + 1];
    if (e0 == e1) continue;
    double max = -std::numeric_limits<double>::infinity();
    for (int e = e0; e < e1; e++) max = std::max(max, static_cast<double>(logit[t.set[e]]));
    double z = 0;
    for (int e = e0; e < e1; e++) {
      t.alpha[e] = static_cast<float>(std::exp(static_cast<double>(logit[t.set[e]]) - max));
      z += static_cast<double>(t.alpha[e]);
    }
    std::fill(acc, acc + d, 0.0f);
    for (int e = e0; e < e1; e++) {
      t.alpha[e] = static_cast<float>(static_cast<double>(t.alpha[e]) / z);
      const float a = t.alpha[e];
      const float* __restrict h = t.H + static_cast<size_t>(t.src[e]) * d;
      const float* __restrict rc = t.r + static_cast<size_t>(t.set[e]) * d;
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int x = 0; x < d; x++) s += h[x] * rc[x];
      const float s2 = 2 * s;
#pragma omp simd
      for (int x = 0; x < d; x++) acc[x] += a * (h[x] - s2 * rc[x]);
    }
    float* o = t.out + static_cast<size_t>(i) * d;
    for (int x = 0; x < d; x++) o[x] = std::tanh(acc[x]);
  }
}

// rreaForwardRows(task, i0, i1): task = {g: {indptr, src, set}, H, d, r, logit, out, alpha}
napi_value RreaForwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0, i1;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Rrea t = rreaOf(c, task);
  const float* logit = c.f32(c.prop(task, "logit"), "logit");
  if (!c.ok) return nullptr;
  rreaForwardRange(t, logit, i0, i1);
  return nullptr;
}

MMEA_CLONES
void rreaBackwardRange(const Rrea& t, const float* dOut, float* dH, float* dr, double* dlogit, int64_t i0, int64_t i1) {
  const int d = t.d;
  std::vector<float> giv(d);
  float* gi = giv.data();
  std::vector<double> da;
  for (int64_t i = i0; i < i1; i++) {
    const int e0 = t.indptr[i], e1 = t.indptr[i + 1];
    if (e0 == e1) continue;
    const float* o = t.out + static_cast<size_t>(i) * d;
    const float* go = dOut + static_cast<size_t>(i) * d;
#pragma omp simd
    for (int x = 0; x < d; x++) gi[x] = go[x] * (1 - o[x] * o[x]);
    da.assign(static_cast<size_t>(e1 - e0), 0.0);
    double mean = 0;
    for (int e = e0; e < e1; e++) {
      const float a = t.alpha[e];
      const float* __restrict h = t.H + static_cast<size_t>(t.src[e]) * d;
      float* __restrict dh = dH + static_cast<size_t>(t.src[e]) * d;
      const float* __restrict rc = t.r + static_cast<size_t>(t.set[e]) * d;
      float* __restrict drc = dr + static_cast<size_t>(t.set[e]) * d;
      float s = 0, gr = 0, gh = 0;
#pragma omp simd reduction(+ : s, gr, gh)
      for (int x = 0; x < d; x++) {
        s += h[x] * rc[x];
        gr += gi[x] * rc[x];
        gh += gi[x] * h[x];
      }
      const double gm = static_cast<double>(gh) - 2.0 * static_cast<double>(s) * gr;  // g · m_e
      da[e - e0] = gm;
      mean += a * gm;
      // the message's gradient α g_i, through the reflection (I − 2 r rᵀ, symmetric) to h_j, and to r_c
      const float agr2 = 2 * a * gr, a2 = 2 * a, as2 = 2 * a * s;
#pragma omp simd
      for (int x = 0; x < d; x++) {
        dh[x] += a * gi[x] - agr2 * rc[x];
        drc[x] -= a2 * gr * h[x] + as2 * gi[x];
      }
    }
    for (int e = e0; e < e1; e++) dlogit[t.set[e]] += static_cast<double>(t.alpha[e]) * (da[e - e0] - mean);
  }
}

// rreaBackwardRows(task, i0, i1): task = {g, H, d, r, out, alpha, dOut, acc: {dH, dr, dlogit}}
napi_value RreaBackwardRows(napi_env env, napi_callback_info info) {
  napi_value task;
  int64_t i0, i1;
  if (!mmea::taskRows(env, info, &task, &i0, &i1)) return nullptr;
  Ctx c{env};
  const Rrea t = rreaOf(c, task);
  const float* dOut = c.f32(c.prop(task, "dOut"), "dOut");
  napi_value accObj = c.prop(task, "acc");
  float* dH = c.f32(c.prop(accObj, "dH"), "acc.dH");
  float* dr = c.f32(c.prop(accObj, "dr"), "acc.dr");
  double* dlogit = c.f64(c.prop(accObj, "dlogit"), "acc.dlogit");
  if (!c.ok) return nullptr;
  rreaBackwardRange(t, dOut, dH, dr, dlogit, i0, i1);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gatForwardRows", nullptr, ForwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatBackwardRows", nullptr, BackwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rreaForwardRows", nullptr, RreaForwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rreaBackwardRows", nullptr, RreaBackwardRows, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
