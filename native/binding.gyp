{
  "targets": [
    {
      "target_name": "mmea_kernels",
      "sources": ["kernels.cc"],
      "cflags_cc": ["-O3", "-ffp-contract=off", "-fopenmp-simd", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "mmea_dense",
      "sources": ["dense.cc"],
      "cflags_cc": ["-O3", "-ffp-contract=fast", "-fopenmp-simd", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-march=x86-64-v2", "-mtune=generic"]}]]
    }
  ]
}
