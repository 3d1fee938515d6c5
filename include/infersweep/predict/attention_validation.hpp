#pragma once
// How well the attention model predicts attention it was not fitted on: leave one model out
// (fitted on a GPU's other models, tested on the one left out), across GPUs (fitted on all of
// one GPU's rows, tested on another's), each next to the previous roofline attention ("before":
// FLOPs and bytes at efficiencies derived from the GPU's GEMMs).
#include <string>
#include <vector>

#include "infersweep/predict/attention_calibration.hpp"
#include "infersweep/predict/roofline_calibration.hpp"

namespace infersweep::predict {

// One GPU's measured attention, and the GEMM calibration the previous model took on that GPU.
struct GpuAttentionData {
  spec::GpuSpec gpu;
  AttentionRows rows;
  RooflineCalibration gemms;  // of the GPU's mlp.csv files (none: the defaults)
};

// The attention time of the previous roofline: the longer of the FLOPs at 5/7 of the GEMMs'
// compute efficiency and the bytes at 6/8 of the streaming kernels' memory efficiency, plus
// the launch overhead, from the GEMM-calibrated parameters.
double previous_roofline_attention_ms(const AttentionSample& sample, const RooflineParameters& gemm_calibrated);

AttentionErrors previous_roofline_errors(const std::vector<AttentionSample>& samples,
                                         const RooflineParameters& gemm_calibrated);

struct HeldOutModel {
  std::string model;
  AttentionErrors before, after;
};

struct LeaveOneModelOut {
  std::string gpu;
  std::vector<HeldOutModel> models;
  AttentionErrors before, after;  // over every held-out row
};

// Needs rows of at least two models.
LeaveOneModelOut leave_one_model_out(const GpuAttentionData& data, const RooflineParameters& base);

struct CrossCheck {
  std::string calibrated_on;  // a GPU, or "defaults" (the configured constants)
  std::string tested_on;
  AttentionErrors before, after;
};

// Constants fitted elsewhere (`calibrated_on` names where), tested on every row of `tested`.
CrossCheck cross_gpu_check(const std::string& calibrated_on, const RooflineParameters& fitted,
                           const GpuAttentionData& tested);

struct AttentionValidation {
  std::vector<LeaveOneModelOut> leave_one_out;  // GPUs with two or more models
  std::vector<CrossCheck> cross;
  std::vector<std::string> pooled_gpus;  // what `pooled` was fitted on
  AttentionCalibration pooled;           // every LOMO GPU's rows together
};

// Leave-one-model-out on every GPU with two or more models; cross checks between those GPUs
// both ways, and from each of them and from `base` (the shipped defaults) to every GPU with a
// single model; the pooled fit over the GPUs of the first kind.
AttentionValidation validate_attention_model(const std::vector<GpuAttentionData>& gpus, const RooflineParameters& base);

}  // namespace infersweep::predict
