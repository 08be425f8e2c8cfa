// The small N-API reading helper both native modules use (kernels.cc, dense.cc): properties, array
// elements and typed arrays of an argument object, the first failure thrown as a TypeError naming
// what was wrong and every later read a no-op.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <vector>

namespace mmea {

struct Ctx {
  napi_env env;
  bool ok = true;
  void fail(const char* what) {
    if (ok) napi_throw_type_error(env, nullptr, what);
    ok = false;
  }
  napi_value prop(napi_value obj, const char* name) {
    napi_value v = nullptr;
    if (!ok || napi_get_named_property(env, obj, name, &v) != napi_ok) fail(name);
    return v;
  }
  napi_value at(napi_value arr, uint32_t i) {
    napi_value v = nullptr;
    if (!ok || napi_get_element(env, arr, i, &v) != napi_ok) fail("array element");
    return v;
  }
  void* data(napi_value v, napi_typedarray_type want, size_t* length, const char* what) {
    if (!ok) return nullptr;
    bool is = false;
    napi_is_typedarray(env, v, &is);
    if (!is) {
      fail(what);
      return nullptr;
    }
    napi_typedarray_type t;
    size_t n = 0;
    void* p = nullptr;
    napi_get_typedarray_info(env, v, &t, &n, &p, nullptr, nullptr);
    if (t != want) {
      fail(what);
      return nullptr;
    }
    if (length) *length = n;
    return p;
  }
  float* f32(napi_value v, const char* what, size_t* n = nullptr) { return static_cast<float*>(data(v, napi_float32_array, n, what)); }
  double* f64(napi_value v, const char* what) { return static_cast<double*>(data(v, napi_float64_array, nullptr, what)); }
  int32_t* i32(napi_value v, const char* what) { return static_cast<int32_t*>(data(v, napi_int32_array, nullptr, what)); }
  double num(napi_value obj, const char* name) {
    double x = 0;
    napi_value v = prop(obj, name);
    if (ok && napi_get_value_double(env, v, &x) != napi_ok) fail(name);
    return x;
  }
  template <typename T>
  std::vector<T*> perHead(napi_value arr, int heads, T* (Ctx::*get)(napi_value, const char*), const char* what) {
    std::vector<T*> out(heads, nullptr);
    for (int k = 0; k < heads && ok; k++) out[k] = (this->*get)(at(arr, k), what);
    return out;
  }
  float* f32h(napi_value v, const char* what) { return f32(v, what); }
};

/** The one argument (an object) of a whole-task kernel; throws and returns false when absent. */
inline bool taskArg(napi_env env, napi_callback_info info, napi_value* task) {
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, task, nullptr, nullptr);
  if (argc < 1) {
    napi_throw_type_error(env, nullptr, "expected (task)");
    return false;
  }
  return true;
}

/** The arguments (task, i0, i1) of a row-range kernel (pool.ts runs them per thread). */
inline bool taskRows(napi_env env, napi_callback_info info, napi_value* task, int64_t* i0, int64_t* i1) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) {
    napi_throw_type_error(env, nullptr, "expected (task, i0, i1)");
    return false;
  }
  *task = argv[0];
  napi_get_value_int64(env, argv[1], i0);
  napi_get_value_int64(env, argv[2], i1);
  return true;
}

}  // namespace mmea
