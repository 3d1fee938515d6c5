#pragma once
// The configuration space a user writes by hand (YAML, the shape of Vidur-Search's config.yml):
// models, traces, clusters and schedulers, crossed with TP, PP and batch-size caps, plus the
// SLO, the predictor and the seed. Read strictly: an unknown key, a wrong type or a bad value
// is an InputError naming the file, line and key.
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/sim/disaggregation_config.hpp"
#include "infersweep/sim/scheduler_config.hpp"
#include "infersweep/spec/gpu_price.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::search {

struct GridModel {
  std::string name;        // short label used in results
  std::string identifier;  // model spec name (Hugging Face id)
  std::vector<int64_t> exclude_tp;
  std::vector<int64_t> exclude_pp;
  std::vector<std::string> exclude_devices;
  int64_t line = 0;
};

// A workload of the grid, Poisson arrivals at the probed QPS, every length capped at
// max_seq_len. Vidur's form: prompt/output lengths from a trace file. Or a request generator
// named by `request_generator` with its own settings (keys: the workload settings' grid keys),
// e.g. multi-turn conversations that share prefixes; `trace_file`, if given, then supplies its
// lengths.
struct GridTrace {
  using WorkloadSetting = config::Setting<workload::WorkloadConfig>;
  std::string name;
  std::string trace_file;  // resolved path; empty when a generator gives the lengths
  int64_t max_seq_len = 4096;
  int64_t num_requests = 16000;
  double start_qps = 1;
  std::string generator;                                                 // empty: Vidur's trace workload
  std::vector<std::pair<const WorkloadSetting*, std::string>> settings;  // the entry's workload settings
  int64_t line = 0;
};

struct GridCluster {
  std::string device;  // GPU spec name
  std::string node;    // node spec name; default <device>_pairwise_nvlink
  int64_t num_gpus = 0;
  int64_t gpus_per_node = 0;  // 0: the node spec's devices_per_node
  int64_t line = 0;
};

// A prefill:decode replica ratio, as a grid writes it ("1:2").
struct PdRatio {
  int64_t prefill = 1;
  int64_t decode = 1;
  std::string text() const { return std::to_string(prefill) + ":" + std::to_string(decode); }
};

// Disaggregated deployments on a GPU budget shared by a prefill and a decode pool: every ratio
// crossed with the pools' TP and PP. The entry's other keys are the Disaggregation settings'
// grid keys (decode_gpu, decode_node, kv_transfer, kv_link, ...), as `values` holds them; the
// decode pool's replica count, TP and PP are the entry's axes. The scheduler entries of the
// grid configure both pools.
struct GridDisaggregated {
  using DisaggregationSetting = config::Setting<sim::DisaggregationConfig>;
  std::string device;    // the prefill pool's GPU spec name
  std::string node;      // the prefill pool's node spec name; default <device>_pairwise_nvlink
  int64_t num_gpus = 0;  // both pools together
  std::vector<PdRatio> pd_ratios;
  std::vector<int64_t> prefill_tp, prefill_pp, decode_tp, decode_pp;
  std::vector<std::pair<const DisaggregationSetting*, std::string>> settings;  // declaration order
  sim::DisaggregationConfig values;  // defaults with the entry's settings applied
  int64_t line = 0;
};

// A replica scheduler with the settings its entry gives (keys: the settings' grid keys, only
// those the scheduler's traits list). max_tokens_in_batch defaults to max_seq_len, as Vidur.
struct GridScheduler {
  using SchedulerSetting = config::Setting<sim::SchedulerConfig>;
  std::string scheduler;                                                  // replica scheduler name
  std::vector<std::pair<const SchedulerSetting*, std::string>> settings;  // declaration order
  sim::SchedulerConfig values;                                            // defaults with the entry's settings applied
  int64_t line = 0;

  bool sets(const std::string& name) const;
  int64_t chunk_size() const { return sets("chunk-size") ? values.chunk_size : 0; }
  std::string label() const;  // vllm, sarathi_cs512, ...
};

struct GridSpec {
  std::string path;
  std::string text;  // the file as written, for provenance
  std::vector<GridModel> models;
  std::vector<GridTrace> traces;
  std::vector<GridCluster> clusters;             // co-located deployments
  std::vector<GridDisaggregated> disaggregated;  // prefill/decode pools; searched alongside
  std::vector<GridScheduler> schedulers;
  std::vector<int64_t> tp_dimensions, pp_dimensions, batch_sizes;
  std::vector<std::string> global_schedulers = {"round_robin"};  // routers: one axis of the grid
  SearchSettings search;
  predict::PredictorConfig predictor;
  uint64_t seed = 42;
  // Prices that replace GPU specs' own: the grid's `prices:` section, then a prices file given
  // on the command line (GridRunSettings::gpu_prices). For a GPU listed more than once the last
  // entry counts, so the file's price beats the grid's.
  std::vector<spec::PriceEntry> prices;
};

struct GridPaths {
  std::string trace_dir;  // relative trace files are looked up here (after the grid's folder)
};

// The trace directory to use: the explicit one, else $INFERSWEEP_TRACE_DIR, else the build's
// vidur-data/processed_traces.
std::string default_trace_dir();

GridSpec read_grid_file(const std::string& path, const GridPaths& paths = {});
// `source_name` stands in for the path in messages; relative trace files resolve against
// `base_dir`, then paths.trace_dir.
GridSpec parse_grid_text(const std::string& text, const std::string& source_name, const std::string& base_dir,
                         const GridPaths& paths = {});

}  // namespace infersweep::search
