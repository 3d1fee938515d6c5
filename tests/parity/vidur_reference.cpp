#include "parity/vidur_reference.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "infersweep/io/csv_table.hpp"
#include "infersweep/sim/metrics_store.hpp"
#include "infersweep/sim/replica_scheduler.hpp"

namespace infersweep::parity {

namespace fs = std::filesystem;
using boost::property_tree::ptree;

std::string vidur_reference_dir() {
  if (const char* env = std::getenv("INFERSWEEP_VIDUR_REFERENCE"); env && *env) return env;
  return INFERSWEEP_VIDUR_REFERENCE_DIR;
}

namespace {

[[noreturn]] void unsupported(const std::string& file, const std::string& what) {
  throw std::runtime_error(file + ": " + what);
}

template <class T>
T get(const ptree& tree, const std::string& path, const std::string& file) {
  const auto value = tree.get_optional<T>(path);
  if (!value) unsupported(file, "no " + path);
  return *value;
}

// A JSON null reads as the text "null".
bool is_null(const ptree& tree, const std::string& path) { return tree.get<std::string>(path, "null") == "null"; }

template <class T>
void expect_spec(const std::string& file, const std::string& what, T vidur, T ours) {
  if (vidur != ours)
    unsupported(file, what + " is " + std::to_string(vidur) + " in Vidur's config, " + std::to_string(ours) +
                          " in the shipped specs");
}

// The table set of a run, by the reference's naming: <device>_<model>_tp<TP>_pp<PP>_block<B>_
// maxtok<M>_<estimator>, where M is the prediction grid's tokens per request.
std::string table_dir_for(const std::string& reference_dir, const VidurRun& run, const std::string& file) {
  const auto& c = run.config;
  const std::string shape = "_tp" + std::to_string(c.parallel.tensor_parallel) + "_pp" +
                            std::to_string(c.parallel.pipeline_parallel) + "_block" +
                            std::to_string(c.scheduler.block_size) + "_maxtok" +
                            std::to_string(c.predictor.learned.max_tokens_per_request) + "_";
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(reference_dir + "/prediction-tables")) {
    const auto name = entry.path().filename().string();
    if (name.rfind(c.gpu + "_", 0) == 0 && name.find(shape) != std::string::npos) found.push_back(entry.path());
  }
  if (found.size() != 1)
    unsupported(file, std::to_string(found.size()) + " table sets in " + reference_dir + "/prediction-tables match " +
                          c.gpu + "_*" + shape + "*");
  return found.front();
}

}  // namespace

VidurRun load_vidur_run(const std::string& reference_dir, const std::string& name, const spec::SpecCatalog& catalog) {
  VidurRun run;
  run.name = name;
  run.dir = reference_dir + "/runs/" + name;
  const std::string file = run.dir + "/vidur_config.json";
  ptree json;
  boost::property_tree::read_json(file, json);
  const auto& cluster = json.get_child("cluster_config");
  const auto& replica = cluster.get_child("replica_config");
  const auto& scheduler = cluster.get_child("replica_scheduler_config");
  const auto& requests = json.get_child("request_generator_config");
  const auto& predictor = json.get_child("execution_time_predictor_config");

  auto& c = run.config;
  c.workload.seed = get<uint64_t>(json, "seed", file);
  c.time_limit_s = get<double>(json, "time_limit", file);
  c.num_replicas = get<int64_t>(cluster, "num_replicas", file);
  c.model = get<std::string>(replica, "model_name", file);
  c.gpu = get<std::string>(replica, "device", file);
  c.node = get<std::string>(replica, "network_device", file);
  c.parallel.tensor_parallel = get<int64_t>(replica, "tensor_parallel_size", file);
  c.parallel.pipeline_parallel = get<int64_t>(replica, "num_pipeline_stages", file);
  c.memory_margin_fraction = get<double>(replica, "memory_margin_fraction", file);
  c.kv_accounting = sim::KvAccounting::vidur;

  c.scheduler.global_scheduler = get<std::string>(cluster, "global_scheduler_config.name", file);
  c.scheduler.replica_scheduler = get<std::string>(scheduler, "name", file);
  c.scheduler.batch_size_cap = get<int64_t>(scheduler, "batch_size_cap", file);
  c.scheduler.block_size = get<int64_t>(scheduler, "block_size", file);
  c.scheduler.watermark_blocks_fraction = get<double>(scheduler, "watermark_blocks_fraction", file);
  c.scheduler.num_blocks = is_null(scheduler, "num_blocks") ? 0 : get<int64_t>(scheduler, "num_blocks", file);
  if (scheduler.count("max_tokens_in_batch"))
    c.scheduler.max_tokens_in_batch = get<int64_t>(scheduler, "max_tokens_in_batch", file);
  if (scheduler.count("chunk_size")) c.scheduler.chunk_size = get<int64_t>(scheduler, "chunk_size", file);
  if (scheduler.count("max_waiting_iters"))
    c.scheduler.max_waiting_iters = get<int64_t>(scheduler, "max_waiting_iters", file);
  sim::apply_scheduler_traits(c.scheduler, {"block-size"});

  // The requests Vidur generated, replayed as they are.
  c.workload.generator = "trace_replay";
  c.workload.trace_file = run.dir + "/requests.csv";
  c.workload.max_tokens = get<int64_t>(requests, "max_tokens", file);
  if (requests.count("length_generator_config.max_tokens") &&
      get<int64_t>(requests, "length_generator_config.max_tokens", file) != c.workload.max_tokens)
    unsupported(file, "the length generator's max_tokens differs from the request generator's");

  if (!get<bool>(predictor, "skip_cpu_overhead_modeling", file))
    unsupported(file, "CPU overheads are modelled; the table predictor does not read them");
  c.predictor.name = "table";
  auto& grid = c.predictor.learned;
  grid.max_tokens_per_request = get<int64_t>(predictor, "prediction_max_tokens_per_request", file);
  grid.max_batch_size = get<int64_t>(predictor, "prediction_max_batch_size", file);
  grid.max_prefill_chunk_size = get<int64_t>(predictor, "prediction_max_prefill_chunk_size", file);
  c.predictor.kv_cache_prediction_granularity = get<int64_t>(predictor, "kv_cache_prediction_granularity", file);
  c.predictor.attention_decode_batching_overhead_fraction =
      get<double>(predictor, "attention_decode_batching_overhead_fraction", file);
  c.predictor.attention_prefill_batching_overhead_fraction =
      get<double>(predictor, "attention_prefill_batching_overhead_fraction", file);
  c.predictor.nccl_cpu_launch_overhead_ms = get<double>(predictor, "nccl_cpu_launch_overhead_ms", file);
  c.predictor.nccl_cpu_skew_overhead_per_device_ms =
      get<double>(predictor, "nccl_cpu_skew_overhead_per_device_ms", file);
  run.table_dir = grid.table_dir = table_dir_for(reference_dir, run, file);

  // Vidur's model, device and node facts must be ours.
  const auto& model = catalog.model(c.model);
  const auto& m = replica.get_child("model_config");
  expect_spec(file, "num_layers", get<int64_t>(m, "num_layers", file), model.num_layers);
  expect_spec(file, "num_q_heads", get<int64_t>(m, "num_q_heads", file), model.num_q_heads);
  expect_spec(file, "num_kv_heads", get<int64_t>(m, "num_kv_heads", file), model.num_kv_heads);
  expect_spec(file, "embedding_dim", get<int64_t>(m, "embedding_dim", file), model.hidden_size);
  expect_spec(file, "mlp_hidden_dim", get<int64_t>(m, "mlp_hidden_dim", file), model.mlp_hidden_size);
  expect_spec(file, "use_gated_mlp", get<bool>(m, "use_gated_mlp", file), model.gated_mlp);
  expect_spec(file, "post_attn_norm", get<bool>(m, "post_attn_norm", file), model.post_attention_norm);
  const auto& gpu = catalog.gpu(c.gpu);
  expect_spec(file, "fp16_tflops", get<double>(replica, "device_config.fp16_tflops", file), gpu.fp16_tflops);
  expect_spec(file, "total_memory_gb", get<double>(replica, "device_config.total_memory_gb", file), gpu.memory_gib);
  expect_spec(file, "num_devices_per_node", get<int64_t>(replica, "node_config.num_devices_per_node", file),
              catalog.node(c.node).devices_per_node);
  return run;
}

std::optional<VidurRequestMetrics> read_vidur_request_metrics(const VidurRun& run) {
  const std::string path = run.dir + "/vidur_request_metrics.csv";
  if (!fs::exists(path)) return std::nullopt;
  const auto table = io::CsvTable::read(path);
  const auto id = table.column("Request Id");
  VidurRequestMetrics metrics;
  for (size_t row = 0; row < table.num_rows(); ++row) {
    auto& values = metrics.by_request[table.as_int64(row, id)];
    for (size_t col = 0; col < table.header().size(); ++col)
      if (col != id && !table.cell(row, col).empty()) values[table.header()[col]] = table.as_double(row, col);
  }
  return metrics;
}

std::vector<std::pair<std::string, double>> as_vidur_request_metrics(const sim::Request& request) {
  const auto m = sim::derive_request_metrics(request);
  return {
      {"prefill_e2e_time", m.ttft},
      {"request_e2e_time", m.e2e_time},
      {"request_scheduling_delay", m.scheduling_delay},
      {"request_num_restarts", static_cast<double>(request.num_restarts)},
      {"request_execution_time", m.execution_time},
      {"request_model_execution_time", m.model_execution_time},
      {"request_preemption_time", m.preemption_time},
  };
}

std::map<std::string, double> read_vidur_summary(const std::string& reference_dir, const std::string& name) {
  const auto table = io::CsvTable::read(reference_dir + "/vidur_summary.csv");
  const auto key = table.column("case");
  for (size_t row = 0; row < table.num_rows(); ++row) {
    if (table.cell(row, key) != name) continue;
    std::map<std::string, double> values;
    for (size_t col = 0; col < table.header().size(); ++col)
      if (col != key && col != table.column("run_label")) values[table.header()[col]] = table.as_double(row, col);
    return values;
  }
  throw std::runtime_error(reference_dir + "/vidur_summary.csv has no row for " + name);
}

}  // namespace infersweep::parity
