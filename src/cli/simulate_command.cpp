#include "infersweep/cli/simulate_command.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/io/simulation_report.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/simulation.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "infersweep/spec/key_value_file.hpp"

namespace po = boost::program_options;

namespace infersweep::cli {

namespace {

struct OptionSet {
  po::options_description all{"infersweep simulate: simulate one LLM serving deployment"};
  std::string config_file, kv_accounting = "per_stage";
  int64_t num_requests = 128;
  uint64_t seed = 42;
};

template <class T>
po::typed_value<T>* val(T* target) {
  return po::value<T>(target)->default_value(*target);
}

po::typed_value<bool>* flag(bool* target) {
  return po::value<bool>(target)->default_value(false)->implicit_value(true);
}

void describe(OptionSet& o, SimulateOptions& s) {
  auto& c = s.config;
  auto& w = c.workload;
  auto& sc = c.scheduler;
  auto& p = c.predictor;
  auto& r = p.roofline;
  auto& l = p.learned;
  po::options_description general("General");
  general.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(&o.config_file), "read options from FILE (`key = value` lines, keys as the long option names); the command line wins")
      ("data-dir", po::value<std::string>(&s.data_dir), "directory with models/, gpus/, nodes/ specs (default: $INFERSWEEP_DATA_DIR or the shipped data/)")
      ("output-dir", val(&s.output_dir), "where summary.json, request_metrics.csv and chrome_trace.json go")
      ("seed", val(&o.seed), "seed of every random stream (arrivals, lengths, routing)")
      ("time-limit", val(&c.time_limit_s), "stop after this much simulated time in seconds (0: run to completion)")
      ("chrome-trace", flag(&c.record_trace), "also write chrome_trace.json (one span per batch and stage)")
      ("quiet,q", flag(&s.quiet), "print only the output paths");
  po::options_description deployment("Deployment");
  deployment.add_options()
      ("model", val(&c.model), "model name from data/models (Hugging Face id, or the part after '/')")
      ("gpu", val(&c.gpu), "GPU SKU from data/gpus")
      ("node", po::value<std::string>(&c.node), "node SKU from data/nodes (default: <gpu>_pairwise_nvlink)")
      ("replicas", val(&c.num_replicas), "number of model replicas")
      ("tp", val(&c.parallel.tensor_parallel), "tensor-parallel GPUs per stage")
      ("pp", val(&c.parallel.pipeline_parallel), "pipeline-parallel stages per replica")
      ("memory-margin", val(&c.memory_margin_fraction), "fraction of GPU memory kept free")
      ("kv-accounting", val(&o.kv_accounting), "KV memory per stage: per_stage (each stage stores its own layers) or vidur");
  po::options_description scheduling("Scheduling");
  scheduling.add_options()
      ("replica-scheduler", val(&sc.replica_scheduler), "vllm | orca | sarathi | lightllm | faster_transformer")
      ("global-scheduler", val(&sc.global_scheduler), "round_robin | random | lor")
      ("batch-size-cap", val(&sc.batch_size_cap), "most requests in flight per replica (split across PP micro-batches)")
      ("block-size", val(&sc.block_size), "tokens per KV block (lightllm: 1, set automatically)")
      ("watermark-blocks-fraction", val(&sc.watermark_blocks_fraction), "vllm/sarathi: KV blocks kept free when admitting")
      ("num-blocks", val(&sc.num_blocks), "KV blocks per replica (0: from the memory planner)")
      ("max-tokens-in-batch", val(&sc.max_tokens_in_batch), "vllm/lightllm: token budget of a prefill batch")
      ("chunk-size", val(&sc.chunk_size), "sarathi: token budget of an iteration")
      ("max-waiting-iters", val(&sc.max_waiting_iters), "lightllm: decode iterations before a prefill is forced");
  po::options_description workload("Workload");
  workload.add_options()
      ("request-generator", val(&w.generator), "synthetic | trace_replay")
      ("num-requests", val(&o.num_requests), "requests to generate (trace_replay: default all rows)")
      ("duration", val(&w.duration_s), "synthetic: generate arrivals in [0, duration) seconds instead of a count")
      ("max-tokens", val(&w.max_tokens), "prompt + output cap per request; also sizes the KV budget")
      ("length-generator", val(&w.length_generator), "fixed | uniform | zipf | trace")
      ("prefill-tokens", val(&w.fixed_prefill_tokens), "fixed: prompt tokens")
      ("decode-tokens", val(&w.fixed_decode_tokens), "fixed: output tokens")
      ("min-tokens", val(&w.min_tokens), "uniform/zipf: smallest total length")
      ("prefill-decode-ratio", val(&w.prefill_to_decode_ratio), "uniform/zipf: prompt:output ratio")
      ("zipf-theta", val(&w.zipf_theta), "zipf: skew in (0, 1)")
      ("zipf-scramble", flag(&w.zipf_scramble), "zipf: scatter popular lengths over the range")
      ("length-trace-file", val(&w.length_trace_file), "trace lengths: CSV with num_prefill_tokens, num_decode_tokens")
      ("prefill-scale", val(&w.prefill_scale), "trace: multiply prompt lengths")
      ("decode-scale", val(&w.decode_scale), "trace: multiply output lengths")
      ("interval-generator", val(&w.interval_generator), "static | poisson | gamma | trace")
      ("qps", val(&w.qps), "poisson/gamma: arrival rate, requests per second")
      ("gamma-cv", val(&w.gamma_cv), "gamma: coefficient of variation of inter-arrival times")
      ("interval-trace-file", val(&w.interval_trace_file), "trace intervals: CSV with arrived_at (seconds)")
      ("time-scale", val(&w.time_scale), "trace: multiply arrival times")
      ("trace-file", val(&w.trace_file), "trace_replay: CSV with arrived_at, num_prefill_tokens, num_decode_tokens");
  po::options_description predictor("Execution-time prediction");
  predictor.add_options()
      ("predictor", val(&p.name), "roofline (analytic) | learned (from profiling CSVs) | table (Vidur's prediction CSVs)")
      ("profiling-dir", po::value<std::string>(&l.profiling_dir), "learned: Vidur-layout profiling data (default: $INFERSWEEP_PROFILING_DIR or the build's vidur-data/profiling)")
      ("attention-file", val(&l.attention_file), "learned: attention.csv to learn attention from (default: compute/<sku>/<model>/attention.csv if present, else calibrated roofline)")
      ("cpu-overhead-file", val(&l.cpu_overhead_file), "learned: cpu_overheads.csv; CPU overheads are modelled only when given")
      ("predictor-cache-dir", val(&l.cache_dir), "learned: where prediction grids are cached ('none': off; default: $INFERSWEEP_CACHE_DIR or ~/.cache/infersweep)")
      ("prediction-table-dir", val(&l.table_dir), "table: directory with Vidur's <op>_<hash>_predictions.csv files")
      ("predictor-k-folds", val(&l.k_folds), "learned: cross-validation folds for model selection")
      ("predictor-seed", val(&l.seed), "learned: seed of folds and tree subsampling")
      ("prediction-max-tokens-per-request", val(&l.max_tokens_per_request), "learned: token grid range (x batch size for orca)")
      ("prediction-max-batch-size", val(&l.max_batch_size), "learned: decode-attention and CPU-overhead grid range")
      ("prediction-max-prefill-chunk-size", val(&l.max_prefill_chunk_size), "learned: prefill-attention grid range")
      ("roofline-compute-efficiency", val(&r.compute_efficiency), "fraction of peak FLOP/s reached by GEMMs")
      ("roofline-memory-efficiency", val(&r.memory_efficiency), "fraction of HBM bandwidth reached by streaming kernels")
      ("roofline-attention-compute-efficiency", val(&r.attention_compute_efficiency), "fraction of peak reached by prefill attention")
      ("roofline-attention-memory-efficiency", val(&r.attention_memory_efficiency), "fraction of bandwidth reached by decode attention")
      ("roofline-kernel-overhead-us", val(&r.kernel_overhead_us), "fixed time per operator launch, microseconds")
      ("nccl-launch-overhead-ms", val(&p.nccl_cpu_launch_overhead_ms), "CPU launch cost added to each all-reduce")
      ("kv-granularity", val(&p.kv_cache_prediction_granularity), "context lengths are rounded up to this for attention");
  o.all.add(general).add(deployment).add(scheduling).add(workload).add(predictor);
}

// Stores the options of a `key = value` file, reporting a bad key or value with its line.
void store_config_file(const std::string& path, const po::options_description& desc, po::variables_map& vm) {
  const auto file = spec::KeyValueFile::read(path);
  for (const auto& line : file.lines()) {
    if (line.key == "config")
      throw InputError::in_file(path, line.line, line.key, "a config file cannot include another");
    if (!desc.find_nothrow(line.key, false))
      throw InputError::in_file(path, line.line, line.key, "unknown option");
    try {
      const std::vector<std::string> tokens{"--" + line.key + "=" + line.value};
      po::store(po::command_line_parser(tokens).options(desc).run(), vm);
    } catch (const po::error& e) {
      throw InputError::in_file(path, line.line, line.key, e.what());
    }
  }
}

}  // namespace

SimulateOptions parse_simulate_options(const std::vector<std::string>& args) {
  SimulateOptions s;
  OptionSet o;
  describe(o, s);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(o.all).run(), vm);
  } catch (const po::error& e) {
    throw InputError(std::string("command line: ") + e.what());
  }
  if (vm.count("help")) {
    s.help = true;
    std::ostringstream text;
    text << o.all;
    s.help_text = text.str();
    return s;
  }
  if (vm.count("config")) store_config_file(vm["config"].as<std::string>(), o.all, vm);
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(std::string("command line: ") + e.what());
  }
  auto& c = s.config;
  c.workload.seed = o.seed;
  if (!vm["num-requests"].defaulted()) c.workload.num_requests = o.num_requests;
  c.kv_accounting = sim::parse_kv_accounting(o.kv_accounting);
  if (!vm.count("node")) c.node = c.gpu + "_pairwise_nvlink";
  if (c.scheduler.replica_scheduler == "lightllm" && vm["block-size"].defaulted()) c.scheduler.block_size = 1;
  return s;
}

int run_simulate(const std::vector<std::string>& args) {
  const auto options = parse_simulate_options(args);
  if (options.help) {
    std::cout << options.help_text;
    return 0;
  }
  const auto catalog = spec::SpecCatalog::load(spec::resolve_data_dir(options.data_dir));
  const auto setup = sim::prepare_simulation(options.config, catalog);

  const auto predictor_start = std::chrono::steady_clock::now();
  const auto predictor = predict::ExecutionTimePredictor::create(sim::predictor_context(setup));
  if (!options.quiet && options.config.predictor.name != "roofline")
    std::cerr << "predictor " << options.config.predictor.name << " ready in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - predictor_start).count() << " s\n";

  const auto start = std::chrono::steady_clock::now();
  sim::Simulation simulation(setup, predictor);
  simulation.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto summary = sim::summarize(simulation);
  if (summary.predictor_out_of_grid_lookups > 0)
    std::cerr << "warning: " << summary.predictor_out_of_grid_lookups
              << " operator lookups fell outside the prediction grid and were extrapolated with the polynomial "
                 "model (widen --prediction-max-* to cover them)\n";
  const auto written = io::write_simulation_outputs(simulation, summary, options.output_dir);
  if (!options.quiet) {
    io::print_summary_table(simulation, summary, std::cout);
    std::cerr << "simulated " << simulation.num_events() << " events in " << wall << " s wall time\n";
  }
  std::cout << written;
  return 0;
}

}  // namespace infersweep::cli
