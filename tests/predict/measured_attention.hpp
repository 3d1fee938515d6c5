#pragma once
// The measured H100 and H200 attention of the shared data (../shared/gpu-profiles), for the
// tests of the attention model that run on it (skipped where it is absent).
#include <filesystem>
#include <string>

#include "infersweep/predict/attention_validation.hpp"
#include "test_support.hpp"

namespace infersweep::test_support {

inline std::string gpu_profiles_dir() {
  return (std::filesystem::path(vidur_data_dir()).parent_path() / "gpu-profiles").string();
}

inline bool have_gpu_profiles() { return std::filesystem::is_directory(gpu_profiles_dir() + "/h200/compute/h200"); }

// The catalog's GPU; the H200 as data/gpus/h100.ini with its HBM3e bandwidth where the catalog
// has none.
inline spec::GpuSpec profiled_gpu(const std::string& name) {
  const auto& gpus = catalog().gpus();
  if (gpus.count(name)) return gpus.at(name);
  auto h200 = gpus.at("h100");
  h200.name = "h200";
  h200.memory_bandwidth_gbps = 4800;
  return h200;
}

// One GPU's measured attention with the previous model's GEMM calibration on that GPU.
inline predict::GpuAttentionData measured_attention(const std::string& gpu) {
  const auto tree = gpu_profiles_dir() + "/" + gpu;
  predict::GpuAttentionData data;
  data.gpu = profiled_gpu(gpu);
  data.rows = predict::read_attention_rows(predict::gpu_attention_files(tree, gpu), data.gpu);
  data.gemms = predict::calibrate_roofline(predict::gpu_mlp_files(tree, gpu), data.gpu, predict::RooflineParameters{});
  return data;
}

}  // namespace infersweep::test_support
