#pragma once
// Reads Vidur's profiling CSVs (compute/<sku>/<org>/<model>/{mlp,attention}.csv,
// network/<node>/{all_reduce,send_recv}.csv, cpu_overheads.csv) unchanged, and selects the rows
// that describe one deployment, with the features Vidur's predictor learns from. Parsing is
// strict: a missing column, a bad cell in a selected row, or an empty selection throws an
// InputError naming the file, the column or the filter.
#include <Eigen/Core>
#include <string>
#include <vector>

#include "infersweep/io/csv_table.hpp"
#include "infersweep/spec/hardware_specs.hpp"

namespace infersweep::predict {

// A pandas boolean cell ("True"/"False", any case); throws InputError naming file, line, column.
bool read_bool_cell(const io::CsvTable& table, size_t row, size_t column);

// The rows one operator model learns from.
struct TrainingSet {
  std::string op;                          // e.g. mlp_up_proj, attn_decode, all_reduce
  std::string source;                      // file the rows came from
  std::string filter;                      // which rows were selected, in words
  std::vector<std::string> feature_names;  // e.g. {"num_tokens"}
  Eigen::MatrixXd features;                // one row per sample
  Eigen::VectorXd target;                  // median time, ms
  std::vector<int64_t> lines;              // line of each sample in `source`

  int64_t size() const { return static_cast<int64_t>(target.size()); }
};

// The token-level operators of mlp.csv: attn_pre_proj, attn_post_proj, mlp_up_proj,
// mlp_down_proj, mlp_act, input_layernorm, post_attention_layernorm, attn_rope, add.
const std::vector<std::string>& mlp_profile_operators();
// Those of them that a serving engine runs as fused kernels and a plain PyTorch profile as
// eager operators: mlp_act, input_layernorm, post_attention_layernorm, attn_rope, add.
const std::vector<std::string>& elementwise_operators();
bool is_elementwise_operator(const std::string& op);
// Columns that may be absent or empty (models without the operator cost 0 there): norms, add.
bool is_optional_mlp_operator(const std::string& op);

// Whether a file holds rows for a deployment: how many, and when none, why (the filter and the
// combinations the file has). Reading is as strict as the readers below: a missing filter column
// or a bad cell is an InputError.
struct RowsFound {
  int64_t rows = 0;
  std::string missing;  // empty when rows > 0
  explicit operator bool() const { return rows > 0; }
};

// The rows of an mlp.csv for one model shape and TP, and the operators timed in them (every
// operator with a column, except optional ones whose cells are all empty there).
struct MlpCoverage {
  RowsFound found;
  std::vector<std::string> operators;
};
MlpCoverage mlp_coverage(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel);
RowsFound attention_rows(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel,
                         int64_t block_size);
RowsFound all_reduce_rows(const std::string& path, int64_t tensor_parallel);
RowsFound send_recv_rows(const std::string& path, bool multi_node);

// Rows of mlp.csv measured for this model shape at this tensor-parallel degree, one set per
// operator of mlp_profile_operators(); feature num_tokens.
std::vector<TrainingSet> read_mlp_profile(const std::string& path, const spec::ModelSpec& model,
                                          int64_t tensor_parallel);

// Rows of attention.csv for this shape, TP and block size: attn_decode (batch_size,
// kv_cache_size), attn_prefill (kv_cache_size, prefill_chunk_size^2) and, when the file has
// that column, attn_kv_cache_save (num_tokens = max(chunk, batch)).
struct AttentionProfile {
  TrainingSet decode;
  TrainingSet prefill;
  TrainingSet kv_cache_save;  // empty when the file does not measure it
};
AttentionProfile read_attention_profile(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel,
                                        int64_t block_size);

// all_reduce.csv rows with num_workers == devices_per_node == TP; feature num_tokens = size/(2h).
TrainingSet read_all_reduce_profile(const std::string& path, const spec::ModelSpec& model, int64_t tensor_parallel);
// send_recv.csv rows between nodes (devices_per_node 1) or within one (2); same feature.
TrainingSet read_send_recv_profile(const std::string& path, const spec::ModelSpec& model, bool multi_node);

// cpu_overheads.csv rows of this model and TP: schedule, sampler_e2e, prepare_inputs_e2e,
// process_model_outputs, ray_comm_time; feature batch_size.
const std::vector<std::string>& cpu_overhead_operators();
std::vector<TrainingSet> read_cpu_overhead_profile(const std::string& path, const spec::ModelSpec& model,
                                                   int64_t tensor_parallel);

}  // namespace infersweep::predict
