#include "infersweep/config/identity.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/operator_time_model.hpp"

namespace infersweep::predict {

namespace {

using config::Identity;
using config::IdForm;

config::SettingGroup<RooflineParameters> declare_roofline() {
  using R = RooflineParameters;
  config::SettingGroup<R> g("Execution-time prediction");
  g.add(&R::compute_efficiency, "roofline-compute-efficiency", Identity::config_and_predictor(),
        "share of peak FLOP/s reached by GEMMs")
      .greater_than(0)
      .at_most(1);
  g.add(&R::memory_efficiency, "roofline-memory-efficiency", Identity::config_and_predictor(),
        "share of HBM bandwidth reached by streaming kernels")
      .greater_than(0)
      .at_most(1);
  g.add(&R::attention_compute_efficiency, "roofline-attention-compute-efficiency", Identity::config_and_predictor(),
        "prefill attention: share of peak FLOP/s a full wave of query x key tiles reaches")
      .greater_than(0)
      .at_most(1);
  g.add(&R::attention_memory_efficiency, "roofline-attention-memory-efficiency", Identity::config_and_predictor(),
        "decode attention: share of HBM bandwidth a full wave of KV-block reads reaches")
      .greater_than(0)
      .at_most(1);
  g.add(&R::kernel_overhead_us, "roofline-kernel-overhead-us", Identity::config_and_predictor(),
        "fixed time per operator launch")
      .non_negative()
      .unit("us");
  g.add(&R::decode_block_latency_us, "roofline-decode-block-latency-us", Identity::config_and_predictor(),
        "decode attention: time of a lone CTA per 128-token KV block")
      .non_negative()
      .unit("us");
  g.add(&R::decode_wave_overhead_us, "roofline-decode-wave-overhead-us", Identity::config_and_predictor(),
        "decode attention: fixed time per wave of CTAs")
      .non_negative()
      .unit("us");
  g.add(&R::decode_floor_us, "roofline-decode-floor-us", Identity::config_and_predictor(),
        "decode attention: fixed time per kernel")
      .non_negative()
      .unit("us");
  g.add(&R::decode_split_combine_us, "roofline-decode-split-combine-us", Identity::config_and_predictor(),
        "decode attention: time added when the context spans several KV blocks (combining their parts)")
      .non_negative()
      .unit("us");
  g.add(&R::prefill_tile_latency_us, "roofline-prefill-tile-latency-us", Identity::config_and_predictor(),
        "prefill attention: time of a lone CTA per 128 x 64 tile")
      .non_negative()
      .unit("us");
  g.add(&R::prefill_wave_overhead_us, "roofline-prefill-wave-overhead-us", Identity::config_and_predictor(),
        "prefill attention: fixed time per wave of CTAs")
      .non_negative()
      .unit("us");
  g.add(&R::prefill_floor_us, "roofline-prefill-floor-us", Identity::config_and_predictor(),
        "prefill attention: fixed time per call, host side included")
      .non_negative()
      .unit("us");
  g.add(&R::prefill_floor_overlap, "roofline-prefill-floor-overlap", Identity::config_and_predictor(),
        "prefill attention: share of the floor the kernel runs under")
      .non_negative()
      .at_most(1);
  return g;
}

config::SettingGroup<LearnedPredictorSettings> declare_learned() {
  using L = LearnedPredictorSettings;
  config::SettingGroup<L> g("Execution-time prediction");
  // The data directories are machine-local: the config id leaves them out (the shipped data is
  // identified by the engine version), the predictor identity keeps them, in their order.
  g.add(&L::profiling_dirs, "profiling-dir", Identity::predictor(),
        "learned: Vidur-layout profiling directories, earlier ones first (repeatable or comma-separated; "
        "the rule per operator is in docs/predictor.md)")
      .path()
      .default_note(
          "$INFERSWEEP_PROFILING_DIR (a list too), else the build's vidur-data/profiling, then gpu-profiles/<sku>");
  g.add(&L::attention_file, "attention-file", Identity::config_and_predictor(),
        "learned: attention.csv to learn attention from (else the profiling directories' attention.csv of the "
        "model's attention shape, else the calibrated roofline)")
      .path()
      .id_form(IdForm::file_name);
  g.add(&L::cpu_overhead_file, "cpu-overhead-file", Identity::config_and_predictor(),
        "learned: cpu_overheads.csv; CPU overheads are modelled only when given")
      .path()
      .id_form(IdForm::file_name);
  g.add(&L::cache_dir, "predictor-cache-dir", Identity::none(),
        "learned: where prediction grids are cached ('none': off)")
      .path()
      .grid_key("cache_dir")
      .default_note("$INFERSWEEP_CACHE_DIR or ~/.cache/infersweep");
  g.add(&L::table_dir, "prediction-table-dir", Identity::predictor(),
        "table: directory with Vidur's <op>_<hash>_predictions.csv files")
      .path()
      .grid_key("table_dir");
  g.add(&L::k_folds, "predictor-k-folds", Identity::config_and_predictor(), "learned: cross-validation folds")
      .at_least(2);
  g.add(&L::seed, "predictor-seed", Identity::config_and_predictor(), "learned: seed of folds and tree subsampling");
  g.add(&L::max_tokens_per_request, "prediction-max-tokens-per-request", Identity::config_and_predictor(),
        "learned: token grid range (x batch size for schedulers whose batches span it)")
      .at_least(1)
      .unit("tokens");
  g.add(&L::max_batch_size, "prediction-max-batch-size", Identity::config_and_predictor(),
        "learned: decode-attention and CPU-overhead grid range")
      .at_least(1);
  g.add(&L::max_prefill_chunk_size, "prediction-max-prefill-chunk-size", Identity::config_and_predictor(),
        "learned: prefill-attention grid range")
      .at_least(1)
      .unit("tokens");
  return g;
}

config::SettingGroup<PredictorConfig> declare() {
  using P = PredictorConfig;
  config::SettingGroup<P> g("Execution-time prediction");
  g.add(&P::name, "predictor", Identity::config_and_predictor(),
        "roofline (analytic), learned (from profiling CSVs) or table (Vidur's prediction CSVs)")
      .plugins([] { return builtin_operator_time_models().names(); })
      .grid_key("name");
  g.nest(&P::roofline, roofline_settings());
  g.add(&P::nccl_cpu_launch_overhead_ms, "nccl-launch-overhead-ms", Identity::config_and_predictor(),
        "CPU launch cost added to each all-reduce")
      .key("nccl_cpu_launch_overhead_ms")
      .non_negative()
      .unit("ms");
  g.add(&P::nccl_cpu_skew_overhead_per_device_ms, "nccl-skew-overhead-ms", Identity::config_and_predictor(),
        "CPU skew cost of an all-reduce per device (scaled by TP^1.25)")
      .key("nccl_cpu_skew_overhead_per_device_ms")
      .non_negative()
      .unit("ms");
  g.add(&P::attention_decode_batching_overhead_fraction, "attention-decode-batching-overhead",
        Identity::config_and_predictor(),
        "GQA models: extra share of decode attention time when several requests decode")
      .key("attention_decode_batching_overhead_fraction")
      .non_negative();
  g.add(&P::attention_prefill_batching_overhead_fraction, "attention-prefill-batching-overhead",
        Identity::config_and_predictor(), "GQA models: extra share of prefill attention time when several prompts run")
      .key("attention_prefill_batching_overhead_fraction")
      .non_negative();
  g.add(&P::kv_cache_prediction_granularity, "kv-granularity", Identity::config_and_predictor(),
        "context lengths are rounded up to this for attention")
      .key("kv_cache_prediction_granularity")
      .at_least(1)
      .unit("tokens");
  g.nest(&P::learned, learned_predictor_settings());
  return g;
}

}  // namespace

const config::SettingGroup<RooflineParameters>& roofline_settings() {
  static const auto group = declare_roofline();
  return group;
}

const config::SettingGroup<LearnedPredictorSettings>& learned_predictor_settings() {
  static const auto group = declare_learned();
  return group;
}

const config::SettingGroup<PredictorConfig>& predictor_settings() {
  static const auto group = declare();
  return group;
}

std::string predictor_identity_text(const PredictorContext& c) {
  return "model = " + c.model.name + "\ngpu = " + c.gpu.name + "\nnode = " + c.node.name +
         "\ntp = " + std::to_string(c.tensor_parallel) + "\npp = " + std::to_string(c.pipeline_parallel) +
         "\nblock_size = " + std::to_string(c.block_size) +
         "\ntoken_grid_spans_batch = " + (c.token_grid_spans_batch ? "true" : "false") + "\n" +
         config::predictor_id_text(predictor_settings(), c.config);
}

}  // namespace infersweep::predict
