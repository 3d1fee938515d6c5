#include "infersweep/predict/vidur_table_fit.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/roofline_model.hpp"

namespace infersweep::predict {

namespace {

// A measured GEMM may beat a spec's rounded peak a little, never by this much.
constexpr double kPeakMargin = 1.1;
// At and above this many tokens a GEMM is compute-bound, so the four GEMMs of one model run at
// similar FLOP rates (measured: within 1.1x for Llama-2-7b on A100, 1.3x for Llama-2-70b TP4 on
// H100, at 4096 tokens).
constexpr int64_t kComputeBoundTokens = 1024;
constexpr double kGemmRateSpread = 2.0;

std::string describe(const PredictorContext& c) {
  return c.model.name + " on " + c.gpu.name + " at TP " + std::to_string(c.tensor_parallel) + ", PP " +
         std::to_string(c.pipeline_parallel);
}

[[noreturn]] void refuse(const std::string& dir, const PredictorContext& c, const std::string& what) {
  throw InputError::setting("prediction-table-dir",
                            "the tables in '" + dir + "' do not fit this configuration (" + describe(c) + "): " + what);
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

void check_token_grid(const VidurTables& t, const PredictorContext& c, const PredictionTable& table) {
  const auto& grid = c.config.learned;
  const int64_t n = grid.max_tokens_per_request * (c.token_grid_spans_batch ? grid.max_batch_size : 1);
  for (int64_t k = 1; k <= n; ++k) {
    if (table.find(k, 0, false)) continue;
    std::string origin = "--prediction-max-tokens-per-request " + std::to_string(grid.max_tokens_per_request);
    if (c.token_grid_spans_batch)
      origin += " x --prediction-max-batch-size " + std::to_string(grid.max_batch_size) +
                ", as this scheduler's batches may hold that many tokens";
    refuse(t.dir, c,
           "expected " + table.op + " at num_tokens 1.." + std::to_string(n) + " (" + origin +
               "), found no entry for " + std::to_string(k) + " in " + file_name(table.source) + ", whose largest is " +
               std::to_string(table.max_key0));
  }
}

// Context lengths are the first key of prefill attention and the second of decode attention.
void check_context_step(const VidurTables& t, const PredictorContext& c, const PredictionTable& table,
                        bool context_is_first_key) {
  const int64_t step = c.config.kv_cache_prediction_granularity;
  for (const auto& entry : table.values) {
    const auto context = static_cast<int64_t>(context_is_first_key ? entry.first >> 32 : entry.first & 0xffffffffu);
    if (context % step != 0)
      refuse(t.dir, c,
             "expected " + table.op + " contexts (kv_cache_size) in steps of --kv-granularity " + std::to_string(step) +
                 ", found " + std::to_string(context) + " in " + file_name(table.source) +
                 ": the tables were made with another kv_cache_prediction_granularity");
  }
}

void check_attention_grids(const VidurTables& t, const PredictorContext& c) {
  const auto& grid = c.config.learned;
  const int64_t step = c.config.kv_cache_prediction_granularity;
  check_context_step(t, c, t.decode, false);
  check_context_step(t, c, t.prefill, true);
  const std::string contexts = "context 0.." + std::to_string(grid.max_tokens_per_request) + " step " +
                               std::to_string(step) + " (--prediction-max-tokens-per-request, --kv-granularity)";
  for (int64_t b = 1; b <= grid.max_batch_size; ++b)
    for (int64_t kv = 0; kv <= grid.max_tokens_per_request; kv += step)
      if (!t.decode.find(b, kv, true))
        refuse(t.dir, c,
               "expected attn_decode at batch size 1.." + std::to_string(grid.max_batch_size) +
                   " (--prediction-max-batch-size) x " + contexts + ", found no entry for (" + std::to_string(b) +
                   ", " + std::to_string(kv) + ") in " + file_name(t.decode.source));
  for (int64_t kv = 0; kv <= grid.max_tokens_per_request; kv += step)
    for (int64_t chunk = 1; chunk <= grid.max_prefill_chunk_size; ++chunk)
      if (!t.prefill.find(kv, chunk * chunk, true))
        refuse(t.dir, c,
               "expected attn_prefill at " + contexts + " x chunk 1.." + std::to_string(grid.max_prefill_chunk_size) +
                   " (--prediction-max-prefill-chunk-size), found no entry for context " + std::to_string(kv) +
                   ", chunk " + std::to_string(chunk) + " in " + file_name(t.prefill.source));
}

// The FLOP rates the GEMM tables imply for the configured model, TP and GPU.
void check_gemm_rates(const VidurTables& t, const PredictorContext& c) {
  const auto& grid = c.config.learned;
  const int64_t n = grid.max_tokens_per_request * (c.token_grid_spans_batch ? grid.max_batch_size : 1);
  const RooflineModel shapes(c);
  const double peak = c.gpu.fp16_tflops * 1e12;
  struct Rate {
    TokenOp op;
    double ms, flops_per_s;
  };
  std::vector<Rate> rates;
  for (TokenOp op : {TokenOp::attn_pre_proj, TokenOp::attn_post_proj, TokenOp::mlp_up_proj, TokenOp::mlp_down_proj}) {
    const double ms = t.token_ops[static_cast<size_t>(op)].at(n, 0, false);
    rates.push_back({op, ms, shapes.token_op_cost(op, n).flops / (ms * 1e-3)});
  }
  const std::string at = " at " + std::to_string(n) + " tokens";
  for (const auto& r : rates)
    if (peak > 0 && !(r.flops_per_s <= kPeakMargin * peak))
      refuse(t.dir, c,
             token_op_name(r.op) + at + " takes " + format("%.4g", r.ms) + " ms in these tables, which is " +
                 format("%.0f", r.flops_per_s / 1e12) + " TFLOP/s for " + c.model.name + " at TP " +
                 std::to_string(c.tensor_parallel) + ", expected at most the " + c.gpu.name + "'s peak of " +
                 format("%.0f", c.gpu.fp16_tflops) + " TFLOP/s: the tables were made for another model, TP or GPU");
  if (n < kComputeBoundTokens) return;
  const auto [slowest, fastest] = std::minmax_element(
      rates.begin(), rates.end(), [](const Rate& a, const Rate& b) { return a.flops_per_s < b.flops_per_s; });
  if (!(fastest->flops_per_s <= kGemmRateSpread * slowest->flops_per_s))
    refuse(t.dir, c,
           "expected the four GEMMs" + at + " to run within a factor of " + format("%.0f", kGemmRateSpread) +
               " of each other's FLOP rate for " + c.model.name + " at TP " + std::to_string(c.tensor_parallel) +
               ", found " + token_op_name(slowest->op) + " at " + format("%.0f", slowest->flops_per_s / 1e12) +
               " and " + token_op_name(fastest->op) + " at " + format("%.0f", fastest->flops_per_s / 1e12) +
               " TFLOP/s: the tables were made for another model shape or TP");
}

}  // namespace

void check_table_files_fit(const std::string& dir, const PredictorContext& c) {
  struct Collective {
    const char* op;
    const char* article;
    int64_t degree;
    const char* name;
  };
  for (const Collective& k : {Collective{"all_reduce", "an", c.tensor_parallel, "TP"},
                              Collective{"send_recv", "a", c.pipeline_parallel, "PP"}}) {
    const bool present = has_prediction_table(dir, k.op);
    const std::string degree = std::string(k.name) + " " + std::to_string(k.degree);
    if (k.degree > 1 && !present)
      refuse(dir, c,
             "expected " + std::string(k.article) + " " + k.op + " table (Vidur writes one for " + k.name +
                 " > 1), found none: " + "the tables were made for " + k.name + " 1");
    if (k.degree == 1 && present)
      refuse(dir, c,
             "expected no " + std::string(k.op) + " table at " + degree + ", found " +
                 file_name(find_prediction_table(dir, k.op)) + ": the tables were made for " + k.name + " > 1");
  }
  for (const char* op : {"schedule", "sampler_e2e", "prepare_inputs_e2e", "process_model_outputs", "ray_comm_time"})
    if (has_prediction_table(dir, op))
      refuse(dir, c,
             "expected no CPU-overhead tables, found " + file_name(find_prediction_table(dir, op)) +
                 ": Vidur modelled CPU overheads for these tables, which the table predictor does not read "
                 "(run Vidur with skip_cpu_overhead_modeling)");
}

void check_tables_fit(const VidurTables& t, const PredictorContext& c) {
  for (const auto& table : t.token_ops) check_token_grid(t, c, table);
  if (c.tensor_parallel > 1) check_token_grid(t, c, t.all_reduce);
  if (c.pipeline_parallel > 1) check_token_grid(t, c, t.send_recv);
  check_attention_grids(t, c);
  check_gemm_rates(t, c);
}

}  // namespace infersweep::predict
