#pragma once
// The attention section of `infersweep predictor report`: finds measured attention (every GPU's
// attention.csv files under the profiling trees given, or beside the deployment's), validates the
// attention model on it (attention_validation.hpp) and prints the tables.
#include <ostream>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/predict/attention_validation.hpp"
#include "infersweep/predict/roofline_calibration.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace infersweep::predict {

struct AttentionCheckSettings {
  // Profiling trees (compute/<sku>/<org>/<model>/attention.csv) and attention.csv files; empty:
  // the profiling directory, the trees beside it and the deployment's attention file.
  std::vector<std::string> sources;
};
const config::SettingGroup<AttentionCheckSettings>& attention_check_settings();

// The sources used when none are given: the profiling directories, the directories beside each
// that hold a compute/ tree (e.g. gpu-profiles/h200 beside gpu-profiles/h100), and `attention_file`.
std::vector<std::string> default_attention_sources(const std::vector<std::string>& profiling_dirs,
                                                   const std::string& attention_file);

// Every GPU of `catalog` with measured attention under `sources`, with the GEMM calibration the
// previous model took on it (from the same tree's mlp.csv files, else the first profiling directory with some). A
// file outside Vidur's layout belongs to the nearest directory of its path named like a GPU.
// What was left out, and why, goes to `notes`.
std::vector<GpuAttentionData> find_measured_attention(const std::vector<std::string>& sources,
                                                      const std::vector<std::string>& profiling_dirs,
                                                      const spec::SpecCatalog& catalog,
                                                      std::vector<std::string>& notes);

void print_attention_validation(std::ostream& out, const AttentionValidation& validation);

// What the report calls: where the deployment's roofline attention constants come from
// (`deployment`: its GPU's calibration), then finds, validates and prints. `base` holds the
// configured constants (the shipped defaults unless set), which GPUs without measured
// attention use.
void report_attention_validation(std::ostream& out, const AttentionCheckSettings& settings,
                                 const RooflineCalibration& deployment, const std::vector<std::string>& profiling_dirs,
                                 const std::string& attention_file, const spec::SpecCatalog& catalog,
                                 const RooflineParameters& base);

}  // namespace infersweep::predict
