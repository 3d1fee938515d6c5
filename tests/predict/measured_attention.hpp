#pragma once
// The measured H100 and H200 attention of the shared data (../shared/gpu-profiles), for the
// tests of the attention model that run on it (skipped where it is absent).
#include <filesystem>
#include <string>

#include "infersweep/predict/attention_validation.hpp"
#include "test_support.hpp"

namespace infersweep::test_support {

inline bool have_gpu_profiles() { return std::filesystem::is_directory(gpu_profiles_dir() + "/h200/compute/h200"); }

inline spec::GpuSpec profiled_gpu(const std::string& name) { return catalog().gpus().at(name); }

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
