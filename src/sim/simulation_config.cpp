#include "infersweep/sim/simulation_config.hpp"

#include <utility>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/workload/request_generator.hpp"

namespace infersweep::sim {

namespace {

config::SettingGroup<SimulationConfig> declare() {
  using config::Identity;
  using S = SimulationConfig;
  config::SettingGroup<S> g("Deployment");
  g.add(&S::model, "model", Identity::config_and_predictor(),
        "model name from data/models (Hugging Face id, or the part after '/')")
      .non_empty();
  g.add(&S::gpu, "gpu", Identity::config_and_predictor(), "GPU SKU from data/gpus").non_empty();
  g.add(&S::node, "node", Identity::config_and_predictor(), "node SKU from data/nodes")
      .non_empty()
      .default_note("<gpu>_pairwise_nvlink, else the one node holding the GPU");
  g.add(&S::num_replicas, "replicas", Identity::config(), "number of model replicas").key("num_replicas").at_least(1);
  g.nest(&S::parallel, parallelism_settings());
  g.add(&S::memory_margin_fraction, "memory-margin", Identity::config(), "share of GPU memory kept free")
      .key("memory_margin_fraction")
      .at_least(0)
      .below(1);
  g.add(&S::kv_accounting, "kv-accounting", Identity::config(),
        "KV memory per stage: per_stage (each stage stores its own layers) or vidur (Vidur's formula)");
  g.nest(&S::scheduler, scheduler_settings());
  g.nest(&S::disaggregation, disaggregation_settings());
  g.nest(&S::workload, workload::workload_settings());
  g.nest(&S::predictor, predict::predictor_settings());
  g.add(&S::time_limit_s, "time-limit", Identity::config(),
        "stop after this much simulated time (0: run to completion)")
      .non_negative()
      .unit("s")
      .topic("General");
  // Set per probe by a capacity search: end a probe whose SLO is already lost.
  g.add(&S::stop_after_delayed_requests, "stop-after-delayed-requests", Identity::probe(),
        "stop once this many requests waited longer than the threshold for their first schedule (0: never)")
      .non_negative()
      .internal();
  g.add(&S::stop_delay_threshold_s, "stop-delay-threshold", Identity::probe(), "the threshold of that rule")
      .non_negative()
      .unit("s")
      .internal();
  // Set by a capacity search's pilot run: its measurement ends before the drain.
  g.add(&S::stop_after_completed_requests, "stop-after-completed-requests", Identity::probe(),
        "stop once this many requests completed (0: never)")
      .non_negative()
      .internal();
  // Off in a capacity search's probes, which read none of what it keeps.
  g.add(&S::detailed_metrics, "detailed-metrics", Identity::none(),
        "keep each request's execution, model and preempted times, the batch distributions and Vidur's "
        "utilisation series (off: none of these is recorded)")
      .internal();
  g.add(&S::record_trace, "chrome-trace", Identity::none(),
        "also write chrome_trace.json (one span per batch and stage)")
      .topic("General");
  return g;
}

}  // namespace

const config::SettingGroup<SimulationConfig>& simulation_settings() {
  static const auto group = declare();
  return group;
}

std::string SimulationConfig::canonical() const { return config::settings_text(simulation_settings(), *this); }

std::string default_node(const std::string& gpu) { return gpu + "_pairwise_nvlink"; }

std::string default_node(const std::string& gpu, const spec::SpecCatalog& catalog) {
  const auto name = default_node(gpu);
  if (catalog.nodes().count(name)) return name;
  std::vector<std::string> holding;
  for (const auto& [node, spec] : catalog.nodes())
    if (spec.gpu == gpu) holding.push_back(node);
  return holding.size() == 1 ? holding.front() : name;
}

std::string predictor_identity(const SimulationConfig& config, const ReplicaSchedulerRegistry& schedulers) {
  const bool spans = schedulers.contains(config.scheduler.replica_scheduler) &&
                     schedulers.traits("replica-scheduler", config.scheduler.replica_scheduler).token_grid_spans_batch;
  return config::predictor_id_text(simulation_settings(), config) +
         "token_grid_spans_batch = " + (spans ? "true" : "false") + "\n";
}

namespace {

predict::PredictorContext context_of(const SimulationConfig& config, spec::ModelSpec model, spec::GpuSpec gpu,
                                     spec::NodeSpec node, std::map<std::string, spec::GpuSpec> known_gpus,
                                     const ReplicaSchedulerRegistry& schedulers) {
  predict::PredictorContext context;
  context.known_gpus = std::move(known_gpus);
  context.model = std::move(model);
  context.gpu = std::move(gpu);
  context.node = std::move(node);
  context.tensor_parallel = config.parallel.tensor_parallel;
  context.pipeline_parallel = config.parallel.pipeline_parallel;
  context.token_grid_spans_batch =
      schedulers.traits("replica-scheduler", config.scheduler.replica_scheduler).token_grid_spans_batch;
  context.block_size = config.scheduler.block_size;
  context.config = config.predictor;
  return context;
}

}  // namespace

predict::PredictorContext predictor_context(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                            const ReplicaSchedulerRegistry& schedulers) {
  return context_of(config, catalog.model(config.model, "model"), catalog.gpu(config.gpu, "gpu"),
                    catalog.node(config.node, "node"), catalog.gpus(), schedulers);
}

predict::PredictorContext predictor_context(const SimulationSetup& setup) {
  return context_of(setup.config, setup.model, setup.gpu, setup.node, setup.known_gpus, *setup.replica_schedulers);
}

namespace {

ReplicaSchedulerContext empty_replica(const SimulationSetup& setup) {
  ReplicaSchedulerContext context;
  context.config = setup.config.scheduler;
  context.memory = setup.memory;
  context.num_stages = setup.config.parallel.pipeline_parallel;
  context.max_tokens = setup.config.workload.max_tokens;
  return context;
}

}  // namespace

std::string admission_refusal(const SimulationSetup& setup, int64_t prompt_tokens, int64_t output_tokens) {
  const std::string reason =
      admission_refusal(*setup.replica_schedulers, empty_replica(setup), prompt_tokens, output_tokens);
  if (reason.empty()) return reason;
  return "a " + format_count(prompt_tokens + output_tokens) + "-token request (" + format_count(prompt_tokens) +
         " prompt + " + format_count(output_tokens) + " output tokens) can never be admitted by " +
         setup.config.scheduler.replica_scheduler + ": " + reason;
}

namespace {

// The scheduler must admit, on an empty replica, the worst requests of the workload: the longest
// prompt (max_tokens - 1 with one output token) and, for rules that count the output too, an
// even split and the longest output.
void check_admission(const SimulationSetup& setup) {
  const int64_t m = setup.config.workload.max_tokens;
  const std::pair<int64_t, int64_t> shapes[] = {{m - 1, 1}, {m / 2, m - m / 2}, {1, m - 1}};
  for (const auto& [prompt, output] : shapes)
    if (const auto reason = admission_refusal(setup, prompt, output); !reason.empty())
      throw InputError::setting("max-tokens", reason);
}

}  // namespace

namespace {
std::shared_ptr<const SimulationSetup> plan_decode_pool(const SimulationSetup& prefill,
                                                        const spec::SpecCatalog& catalog,
                                                        const ReplicaSchedulerRegistry& schedulers);
}  // namespace

SimulationSetup plan_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                const ReplicaSchedulerRegistry& schedulers) {
  // Every range first, so that an error names the setting that is out of range rather than a
  // later rule that trips over it.
  config::check_settings(simulation_settings(), config);
  SimulationSetup setup;
  setup.config = config;
  setup.replica_schedulers = &schedulers;
  setup.model = catalog.model(config.model, "model");
  setup.gpu = catalog.gpu(config.gpu, "gpu");
  setup.node = catalog.node(config.node, "node");
  setup.known_gpus = catalog.gpus();
  if (setup.node.gpu != setup.gpu.name)
    throw InputError::setting(
        "node", "node '" + setup.node.name + "' holds " + setup.node.gpu + " GPUs, not " + setup.gpu.name);
  schedulers.check("replica-scheduler", config.scheduler.replica_scheduler);
  builtin_global_schedulers().check("global-scheduler", config.scheduler.global_scheduler);
  predict::builtin_operator_time_models().check("predictor", config.predictor.name);
  // A request longer than the model's positions is one the model cannot serve; Vidur does not
  // check it, but every request it replays fits max_tokens, so refusing the cap keeps parity.
  if (setup.model.max_position_embeddings > 0 && config.workload.max_tokens > setup.model.max_position_embeddings)
    throw InputError::setting("max-tokens", std::to_string(config.workload.max_tokens) + "-token requests exceed " +
                                                setup.model.name + "'s " +
                                                std::to_string(setup.model.max_position_embeddings) +
                                                " positions (max_position_embeddings)");
  validate_parallelism(setup.model, setup.node, config.parallel);
  validate_scheduler(config.scheduler, config.parallel.pipeline_parallel, config.workload.max_tokens, schedulers);
  setup.memory = plan_memory(setup.model, setup.gpu, config.parallel, config.workload.max_tokens,
                             config.scheduler.block_size, config.memory_margin_fraction, config.kv_accounting);
  const int64_t blocks = config.scheduler.num_blocks > 0 ? config.scheduler.num_blocks : setup.memory.num_blocks;
  if (blocks < setup.memory.blocks_per_request)
    throw InputError::setting("num-blocks", std::to_string(blocks) + " KV blocks cannot hold one " +
                                                std::to_string(config.workload.max_tokens) + "-token request (" +
                                                std::to_string(setup.memory.blocks_per_request) + " blocks)");
  check_admission(setup);
  workload::validate_workload(config.workload);
  if (config.disaggregation.decode_replicas > 0) setup.decode_pool = plan_decode_pool(setup, catalog, schedulers);
  return setup;
}

SimulationConfig decode_pool_config(const SimulationConfig& config, const spec::SpecCatalog& catalog) {
  const auto& d = config.disaggregation;
  SimulationConfig pool = config;
  pool.disaggregation = DisaggregationConfig{};
  pool.num_replicas = d.decode_replicas;
  if (!d.decode_gpu.empty() && d.decode_gpu != config.gpu) {
    pool.gpu = d.decode_gpu;
    pool.node = default_node(d.decode_gpu, catalog);
  }
  if (!d.decode_node.empty()) pool.node = d.decode_node;
  if (d.decode_tp > 0) pool.parallel.tensor_parallel = d.decode_tp;
  if (d.decode_pp > 0) pool.parallel.pipeline_parallel = d.decode_pp;
  if (!d.decode_scheduler.empty()) pool.scheduler.replica_scheduler = d.decode_scheduler;
  if (d.decode_batch_size_cap > 0) {
    const auto& schedulers = builtin_replica_schedulers();
    const bool by_seqs =
        schedulers.contains(pool.scheduler.replica_scheduler) &&
        schedulers.traits("replica-scheduler", pool.scheduler.replica_scheduler).request_cap == "max-num-seqs";
    (by_seqs ? pool.scheduler.max_num_seqs : pool.scheduler.batch_size_cap) = d.decode_batch_size_cap;
  }
  return pool;
}

namespace {

// The setting of the disaggregated configuration that a decode pool's own setting stands for.
// The model is the prefill pool's too, and fits there: where it does not fit the decode pool,
// the pool's parallelism is at fault.
std::string decode_setting(const std::string& name) {
  static const std::pair<const char*, const char*> renamed[] = {{"model", "decode-tp"},
                                                                {"gpu", "decode-gpu"},
                                                                {"node", "decode-node"},
                                                                {"tp", "decode-tp"},
                                                                {"pp", "decode-pp"},
                                                                {"replicas", "decode-replicas"},
                                                                {"replica-scheduler", "decode-scheduler"},
                                                                {"batch-size-cap", "decode-batch-size-cap"},
                                                                {"max-num-seqs", "decode-batch-size-cap"}};
  for (const auto& [own, decode] : renamed)
    if (name == own) return decode;
  return name;
}

bool takes_prefilled(const ReplicaSchedulerRegistry& schedulers, const std::string& name) {
  return schedulers.contains(name) && schedulers.traits("replica-scheduler", name).takes_prefilled;
}

// The decode pool planned as a deployment of its own, every error named by the decode setting
// at fault, then the link between the pools.
std::shared_ptr<const SimulationSetup> plan_decode_pool(const SimulationSetup& prefill,
                                                        const spec::SpecCatalog& catalog,
                                                        const ReplicaSchedulerRegistry& schedulers) {
  const auto& config = prefill.config;
  const auto& d = config.disaggregation;
  if (!takes_prefilled(schedulers, config.scheduler.replica_scheduler))
    throw InputError::setting("replica-scheduler", config.scheduler.replica_scheduler +
                                                       " cannot serve a disaggregated prefill pool; schedulers that "
                                                       "can: " +
                                                       schedulers_taking_prefilled(schedulers));
  const auto pool_config = decode_pool_config(config, catalog);
  if (!takes_prefilled(schedulers, pool_config.scheduler.replica_scheduler))
    throw InputError::setting("decode-scheduler", pool_config.scheduler.replica_scheduler +
                                                      " cannot take prefilled requests; schedulers that can: " +
                                                      schedulers_taking_prefilled(schedulers));
  builtin_global_schedulers().check("decode-router", d.decode_router);
  std::shared_ptr<SimulationSetup> pool;
  try {
    pool = std::make_shared<SimulationSetup>(plan_simulation(pool_config, catalog, schedulers));
  } catch (const InputError& e) {
    if (e.subject() != InputError::Subject::setting) throw;
    throw InputError::setting(decode_setting(e.setting_name()), "the decode pool: " + e.message());
  }
  if (d.kv_transfer == "none") return pool;
  const auto& from = prefill.node;
  const auto& to = pool->node;
  if (d.kv_link == "intra_node") {
    const int64_t gpus = config.parallel.tensor_parallel * config.parallel.pipeline_parallel +
                         pool_config.parallel.tensor_parallel * pool_config.parallel.pipeline_parallel;
    if (from.name != to.name)
      throw InputError::setting("kv-link",
                                "intra_node needs both pools on one node type, not " + from.name + " and " + to.name);
    if (gpus > from.devices_per_node)
      throw InputError::setting("kv-link",
                                "intra_node needs a prefill and a decode replica in one node, but they "
                                "take " +
                                    std::to_string(gpus) + " GPUs and a " + from.name + " node has " +
                                    std::to_string(from.devices_per_node));
    if (d.kv_link_bandwidth_gbps == 0 && !(from.intra_node_bandwidth_gbps > 0))
      throw InputError::setting("kv-link",
                                "node " + from.name + " states no intra-node bandwidth; give --kv-link-bandwidth");
  } else if (d.kv_link_bandwidth_gbps == 0 &&
             !(from.inter_node_bandwidth_gbps > 0 && to.inter_node_bandwidth_gbps > 0)) {
    throw InputError::setting("kv-link", "no path between the pools: node " +
                                             (from.inter_node_bandwidth_gbps > 0 ? to.name : from.name) +
                                             " states no inter-node bandwidth; give --kv-link-bandwidth");
  }
  return pool;
}

}  // namespace

SimulationSetup prepare_simulation(const SimulationConfig& config, const spec::SpecCatalog& catalog,
                                   const ReplicaSchedulerRegistry& schedulers) {
  auto setup = plan_simulation(config, catalog, schedulers);
  auto workload = workload::generate_workload(config.workload);
  setup.requests = std::move(workload.requests);
  setup.workload_notes = std::move(workload.notes);
  return setup;
}

}  // namespace infersweep::sim
