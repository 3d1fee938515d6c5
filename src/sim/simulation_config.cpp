#include "infersweep/sim/simulation_config.hpp"

#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::sim {

std::string SimulationConfig::canonical() const {
  std::ostringstream out;
  auto line = [&out](const char* key, const auto& value) { out << key << " = " << value << "\n"; };
  auto num = [](double v) { return format_double(v); };
  const auto& w = workload;
  const auto& s = scheduler;
  const auto& r = predictor.roofline;
  line("model", model);
  line("gpu", gpu);
  line("node", node);
  line("num_replicas", num_replicas);
  line("tp", parallel.tensor_parallel);
  line("pp", parallel.pipeline_parallel);
  line("memory_margin_fraction", num(memory_margin_fraction));
  line("kv_accounting", to_string(kv_accounting));
  line("replica_scheduler", s.replica_scheduler);
  line("global_scheduler", s.global_scheduler);
  line("batch_size_cap", s.batch_size_cap);
  line("block_size", s.block_size);
  line("watermark_blocks_fraction", num(s.watermark_blocks_fraction));
  line("num_blocks", s.num_blocks);
  line("max_tokens_in_batch", s.max_tokens_in_batch);
  line("chunk_size", s.chunk_size);
  line("max_waiting_iters", s.max_waiting_iters);
  line("request_generator", w.generator);
  line("num_requests", w.num_requests ? std::to_string(*w.num_requests) : std::string("default"));
  line("duration", num(w.duration_s));
  line("seed", w.seed);
  line("max_tokens", w.max_tokens);
  line("length_generator", w.length_generator);
  line("prefill_tokens", w.fixed_prefill_tokens);
  line("decode_tokens", w.fixed_decode_tokens);
  line("min_tokens", w.min_tokens);
  line("prefill_decode_ratio", num(w.prefill_to_decode_ratio));
  line("zipf_theta", num(w.zipf_theta));
  line("zipf_scramble", w.zipf_scramble);
  line("length_trace_file", w.length_trace_file);
  line("prefill_scale", num(w.prefill_scale));
  line("decode_scale", num(w.decode_scale));
  line("interval_generator", w.interval_generator);
  line("qps", num(w.qps));
  line("gamma_cv", num(w.gamma_cv));
  line("interval_trace_file", w.interval_trace_file);
  line("time_scale", num(w.time_scale));
  line("trace_file", w.trace_file);
  line("predictor", predictor.name);
  line("roofline_compute_efficiency", num(r.compute_efficiency));
  line("roofline_memory_efficiency", num(r.memory_efficiency));
  line("roofline_attention_compute_efficiency", num(r.attention_compute_efficiency));
  line("roofline_attention_memory_efficiency", num(r.attention_memory_efficiency));
  line("roofline_kernel_overhead_us", num(r.kernel_overhead_us));
  line("nccl_cpu_launch_overhead_ms", num(predictor.nccl_cpu_launch_overhead_ms));
  line("nccl_cpu_skew_overhead_per_device_ms", num(predictor.nccl_cpu_skew_overhead_per_device_ms));
  line("attention_decode_batching_overhead_fraction", num(predictor.attention_decode_batching_overhead_fraction));
  line("attention_prefill_batching_overhead_fraction", num(predictor.attention_prefill_batching_overhead_fraction));
  line("kv_cache_prediction_granularity", predictor.kv_cache_prediction_granularity);
  const auto& l = predictor.learned;
  line("profiling_dir", l.profiling_dir);
  line("attention_file", l.attention_file);
  line("cpu_overhead_file", l.cpu_overhead_file);
  line("prediction_table_dir", l.table_dir);
  line("predictor_k_folds", l.k_folds);
  line("predictor_seed", l.seed);
  line("prediction_max_tokens_per_request", l.max_tokens_per_request);
  line("prediction_max_batch_size", l.max_batch_size);
  line("prediction_max_prefill_chunk_size", l.max_prefill_chunk_size);
  line("time_limit", num(time_limit_s));
  line("stop_after_delayed_requests", stop_after_delayed_requests);
  line("stop_delay_threshold", num(stop_delay_threshold_s));
  return out.str();
}

predict::PredictorContext predictor_context(const SimulationSetup& setup) {
  predict::PredictorContext context;
  context.model = setup.model;
  context.gpu = setup.gpu;
  context.node = setup.node;
  context.tensor_parallel = setup.config.parallel.tensor_parallel;
  context.pipeline_parallel = setup.config.parallel.pipeline_parallel;
  context.replica_scheduler = setup.config.scheduler.replica_scheduler;
  context.block_size = setup.config.scheduler.block_size;
  context.config = setup.config.predictor;
  return context;
}

SimulationSetup plan_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog) {
  SimulationSetup setup;
  setup.config = config;
  setup.model = catalog.model(config.model, "model");
  setup.gpu = catalog.gpu(config.gpu, "gpu");
  setup.node = catalog.node(config.node, "node");
  if (setup.node.gpu != setup.gpu.name)
    throw InputError::option("node", "node '" + setup.node.name + "' holds " + setup.node.gpu +
                                         " GPUs, not " + setup.gpu.name);
  if (config.num_replicas < 1) throw InputError::option("replicas", "must be at least 1");
  if (config.time_limit_s < 0) throw InputError::option("time-limit", "must not be negative");
  if (config.stop_after_delayed_requests < 0 || config.stop_delay_threshold_s < 0)
    throw InputError::option("stop-after-delayed-requests", "the early-stop rule must not be negative");
  validate_parallelism(setup.model, setup.node, config.parallel);
  validate_scheduler(config.scheduler, config.parallel.pipeline_parallel, config.workload.max_tokens);
  make_global_scheduler_registry().check("global-scheduler", config.scheduler.global_scheduler);
  predict::make_operator_time_model_registry().check("predictor", config.predictor.name);
  if (config.predictor.kv_cache_prediction_granularity < 1)
    throw InputError::option("kv-granularity", "must be at least 1");
  const auto& r = config.predictor.roofline;
  for (const auto& [name, value] : {std::pair<const char*, double>{"roofline-compute-efficiency", r.compute_efficiency},
                                    {"roofline-memory-efficiency", r.memory_efficiency},
                                    {"roofline-attention-compute-efficiency", r.attention_compute_efficiency},
                                    {"roofline-attention-memory-efficiency", r.attention_memory_efficiency}})
    if (!(value > 0 && value <= 1)) throw InputError::option(name, "must be in (0, 1]");
  if (r.kernel_overhead_us < 0) throw InputError::option("roofline-kernel-overhead-us", "must not be negative");
  const auto& l = config.predictor.learned;
  if (l.k_folds < 2) throw InputError::option("predictor-k-folds", "must be at least 2");
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"prediction-max-tokens-per-request", l.max_tokens_per_request},
                                    {"prediction-max-batch-size", l.max_batch_size},
                                    {"prediction-max-prefill-chunk-size", l.max_prefill_chunk_size}})
    if (value < 1) throw InputError::option(name, "must be at least 1");
  setup.memory = plan_memory(setup.model, setup.gpu, config.parallel, config.workload.max_tokens,
                             config.scheduler.block_size, config.memory_margin_fraction, config.kv_accounting);
  const int64_t blocks = config.scheduler.num_blocks > 0 ? config.scheduler.num_blocks : setup.memory.num_blocks;
  if (blocks < setup.memory.blocks_per_request)
    throw InputError::option("num-blocks", std::to_string(blocks) + " KV blocks cannot hold one " +
                                               std::to_string(config.workload.max_tokens) + "-token request (" +
                                               std::to_string(setup.memory.blocks_per_request) + " blocks)");
  workload::validate_workload(config.workload);
  return setup;
}

SimulationSetup prepare_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog) {
  auto setup = plan_simulation(config, catalog);
  setup.requests = workload::generate_requests(config.workload);
  return setup;
}

}  // namespace infersweep::sim
