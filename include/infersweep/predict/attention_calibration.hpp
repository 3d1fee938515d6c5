#pragma once
// Fits the attention constants of RooflineParameters (attention_model.hpp) to measured attention:
// the decode and prefill rows of attention.csv files, of any models, TP degrees and GPUs. The fit
// minimises the mean absolute percentage error (the figure reported), by iteratively reweighted
// least squares with Levenberg-Marquardt steps, from a fixed start: deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/predict/attention_model.hpp"
#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::predict {

// One measured attention time with the kernel work it stands for.
struct AttentionSample {
  AttentionShape shape;
  int64_t batch_size = 0, kv_tokens = 0, chunk_tokens = 0;  // as measured (chunk 0: decode)
  bool is_prefill = false;
  DecodeWork decode;
  PrefillWork prefill;
  AttentionHardware hardware;
  double ms = 0;
  int64_t model = 0;  // index into AttentionRows::models
};

// The rows of one GPU's attention files.
struct AttentionRows {
  std::string gpu;
  std::vector<std::string> models;   // one label per file: <org>/<model> in Vidur's layout
  std::vector<std::string> sources;  // the files
  std::vector<AttentionSample> samples;

  int64_t decode_rows() const;
  int64_t prefill_rows() const;
};

// Every decode row (prefill_chunk_size 0) and prefill row of the files, at every TP degree,
// with the GPU's specs; a bad cell throws InputError naming file, line and column.
AttentionRows read_attention_rows(const std::vector<std::string>& files, const spec::GpuSpec& gpu);

// compute/<gpu>/<org>/<model>/attention.csv under the profiling directory, sorted, leaving out
// `except` (the deployment's own file, so that what is fitted stays held out from it).
std::vector<std::string> gpu_attention_files(const std::string& profiling_dir, const std::string& gpu,
                                             const std::string& except = "");

double predicted_ms(const AttentionSample& sample, const RooflineParameters& parameters);

struct AttentionErrors {
  int64_t decode_rows = 0, prefill_rows = 0;
  double decode_mape = 0, prefill_mape = 0;  // percent
};
// The error of `parameters` (through predicted_ms) on the samples.
AttentionErrors attention_errors(const std::vector<AttentionSample>& samples, const RooflineParameters& parameters);

// Where every fit starts: round physical guesses, not fitted to any data (70 % of bandwidth and
// 35 % of peak at full waves, a few microseconds per step, wave and kernel, a 80 us prefill floor
// overlapped by a third). Other members are `base`'s.
RooflineParameters attention_fit_start(const RooflineParameters& base);

// The settings of the constants calibrate_attention() fits, in the order they are declared.
std::vector<const config::Setting<RooflineParameters>*> attention_settings();

struct AttentionCalibration {
  RooflineParameters parameters;  // `base` with the attention constants fitted
  AttentionErrors errors;         // on the rows fitted
};
// Decode constants from the decode rows, prefill constants from the prefill rows (prefill's
// memory bound uses the decode efficiency); constants without rows keep `base`'s values.
AttentionCalibration calibrate_attention(const std::vector<AttentionSample>& samples, const RooflineParameters& base);

}  // namespace infersweep::predict
