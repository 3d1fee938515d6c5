#include "infersweep/io/simulation_report.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "infersweep/common/double_text_memo.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/json_writer.hpp"
#include "infersweep/sim/kv_link.hpp"
#include "infersweep/spec/gpu_price.hpp"

namespace infersweep::io {

namespace {

void write_distribution(JsonWriter& json, const std::string& key, const sim::Distribution& d) {
  json.begin_object(key)
      .value("count", d.count)
      .value("mean", d.mean)
      .value("min", d.min)
      .value("max", d.max)
      .value("p50", d.p50)
      .value("p90", d.p90)
      .value("p95", d.p95)
      .value("p99", d.p99)
      .end_object();
}

// Figures comparable with Vidur's plots/replica_<i>[_stage_<j>]_{memory_usage,busy_time_percent,
// mfu}.json `*_weighted_mean` values; the block's fields are those of sim::VidurUtilisation.
void write_vidur_utilisation(JsonWriter& json, const sim::VidurUtilisation& v) {
  json.begin_object("utilisation_vidur_conventions")
      .value("memory_usage_percent", v.memory_usage_percent)
      .value("busy_percent", v.busy_percent)
      .value("mfu_percent", v.mfu_percent);
  json.begin_array("replicas");
  for (size_t rep = 0; rep < v.replicas.size(); ++rep) {
    const auto& r = v.replicas[rep];
    json.begin_object()
        .value("replica", static_cast<int64_t>(rep))
        .value("memory_usage_percent", r.memory_usage_percent);
    json.begin_array("stages");
    for (size_t st = 0; st < r.busy_percent.size(); ++st)
      json.begin_object()
          .value("stage", static_cast<int64_t>(st))
          .value("busy_percent", r.busy_percent[st])
          .value("mfu_percent", r.mfu_percent[st])
          .end_object();
    json.end_array().end_object();
  }
  json.end_array().end_object();
}

JsonWriter& write_prefix_counters(JsonWriter& json, const sim::PrefixCacheStats& p) {
  return json.value("lookups", p.lookups)
      .value("queried_tokens", p.queried_tokens)
      .value("hit_tokens", p.hit_tokens)
      .value("token_hit_rate", sim::token_hit_rate(p))
      .value("queried_blocks", p.queried_blocks)
      .value("hit_blocks", p.hit_blocks)
      .value("block_hit_rate", sim::block_hit_rate(p))
      .value("evictions", p.evictions);
}

// The prefix-cache counters summed over replicas, then per replica; hit rates are 0 where
// nothing was queried.
void write_prefix_cache(JsonWriter& json, const sim::PrefixCacheSummary& p) {
  json.begin_object("prefix_cache").value("enabled", p.enabled);
  write_prefix_counters(json, p.total);
  json.begin_array("replicas");
  for (size_t rep = 0; rep < p.replicas.size(); ++rep) {
    json.begin_object().value("replica", static_cast<int64_t>(rep));
    write_prefix_counters(json, p.replicas[rep]).end_object();
  }
  json.end_array().end_object();
}

int64_t pool_gpus(const sim::SimulationSetup& pool) {
  return pool.config.num_replicas * pool.config.parallel.tensor_parallel * pool.config.parallel.pipeline_parallel;
}

// Every GPU of the deployment at its own price: both pools when disaggregated.
double deployment_cost_per_hour(const sim::SimulationSetup& setup) {
  double cost = setup.gpu.price_per_hour * static_cast<double>(pool_gpus(setup));
  if (setup.decode_pool)
    cost += setup.decode_pool->gpu.price_per_hour * static_cast<double>(pool_gpus(*setup.decode_pool));
  return cost;
}

void write_pools(JsonWriter& json, const std::vector<sim::PoolUsage>& pools) {
  json.begin_array("pools");
  for (const auto& p : pools)
    json.begin_object()
        .value("pool", p.name)
        .value("gpu", p.gpu)
        .value("replicas", p.replicas)
        .value("gpus", p.gpus)
        .value("memory_usage_mean_percent", p.memory_usage_mean_percent)
        .value("memory_usage_max_percent", p.memory_usage_max_percent)
        .value("busy_mean_percent", p.busy_mean_percent)
        .value("mfu_mean_percent", p.mfu_mean_percent)
        .end_object();
  json.end_array();
}

std::ofstream open_output(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError::setting("output-dir", "cannot write " + path.string());
  return out;
}

}  // namespace

void write_summary_json(const sim::Simulation& simulation, const sim::SimulationSummary& s, std::ostream& out) {
  const auto& setup = simulation.setup();
  const auto& c = setup.config;
  JsonWriter json(out);
  json.begin_object();
  json.begin_object("deployment")
      .value("model", setup.model.name)
      .value("gpu", setup.gpu.name)
      .value("node", setup.node.name)
      .value("replicas", c.num_replicas)
      .value("tp", c.parallel.tensor_parallel)
      .value("pp", c.parallel.pipeline_parallel)
      .value("replica_scheduler", c.scheduler.replica_scheduler)
      .value("global_scheduler", c.scheduler.global_scheduler)
      .value("predictor", c.predictor.name)
      .value("gpus", c.num_replicas * c.parallel.tensor_parallel * c.parallel.pipeline_parallel +
                         (setup.decode_pool ? pool_gpus(*setup.decode_pool) : 0))
      .value("cost_per_hour", deployment_cost_per_hour(setup))
      .value("price_per_gpu_hour", setup.gpu.price_per_hour)
      .value("price_source", spec::spec_price(setup.gpu).source);
  if (setup.decode_pool) {
    const auto& d = *setup.decode_pool;
    const auto link = sim::kv_link(setup);
    json.begin_object("decode_pool")
        .value("gpu", d.gpu.name)
        .value("node", d.node.name)
        .value("replicas", d.config.num_replicas)
        .value("tp", d.config.parallel.tensor_parallel)
        .value("pp", d.config.parallel.pipeline_parallel)
        .value("replica_scheduler", d.config.scheduler.replica_scheduler)
        .value("router", c.disaggregation.decode_router)
        .value("price_per_gpu_hour", d.gpu.price_per_hour)
        .value("num_blocks", d.config.scheduler.num_blocks > 0 ? d.config.scheduler.num_blocks : d.memory.num_blocks)
        .end_object();
    json.begin_object("kv_transfer")
        .value("mode", c.disaggregation.kv_transfer)
        .value("link", c.disaggregation.kv_link)
        .value("bytes_per_token", link.bytes_per_token)
        .value("gpu_bandwidth_gbps", link.gpu_bytes_per_s / 1e9)
        .value("latency_s", link.latency_s)
        .value("path_bytes_per_s", link.path_bytes_per_s())
        .end_object();
  }
  json.end_object();
  json.begin_object("memory_plan")
      .value("parameters_per_device", setup.memory.parameters_per_device)
      .value("kv_bytes_per_request", setup.memory.kv_bytes_per_request)
      .value("max_batch_size", setup.memory.max_batch_size)
      .value("max_request_slots", setup.memory.max_request_slots)
      .value("num_blocks", simulation.num_blocks_per_replica())
      .value("kv_accounting", sim::to_string(c.kv_accounting))
      .end_object();
  json.begin_object("simulation")
      .value("num_requests", s.num_requests)
      .value("num_completed", s.num_completed)
      .value("num_restarts", s.num_restarts)
      .value("num_batches", s.num_batches)
      .value("num_events", s.num_events)
      .value("end_time_s", s.end_time_s)
      .value("hit_time_limit", s.hit_time_limit)
      .value("predictor_out_of_grid_lookups", s.predictor_out_of_grid_lookups)
      .value("requests_cut_to_max_tokens", setup.workload_notes.cut_to_max_tokens)
      .value("requests_reusing_length_trace", setup.workload_notes.length_trace_reused)
      .value("out_of_order_arrivals", setup.workload_notes.out_of_order_arrivals)
      .value("completed_per_second", s.completed_per_second)
      .value("output_tokens_per_second", s.output_tokens_per_second)
      .end_object();
  json.begin_object("request_metrics");
  for (const auto& [name, d] : s.request_metrics) write_distribution(json, name, d);
  write_distribution(json, "tbt", s.tbt);
  write_distribution(json, "inter_arrival_delay", s.inter_arrival_delay);
  json.end_object();
  json.begin_object("batch_metrics");
  for (const auto& [name, d] : s.batch_metrics) write_distribution(json, name, d);
  json.end_object();
  json.begin_array("replicas");
  for (size_t rep = 0; rep < s.replicas.size(); ++rep) {
    const auto& u = s.replicas[rep];
    json.begin_object()
        .value("replica", static_cast<int64_t>(rep))
        .value("pool", !setup.disaggregated()                                    ? "all"
                       : simulation.is_decode_replica(static_cast<int32_t>(rep)) ? "decode"
                                                                                 : "prefill")
        .value("memory_usage_mean_percent", u.memory_usage_mean_percent)
        .value("memory_usage_max_percent", u.memory_usage_max_percent);
    json.begin_array("stages");
    for (size_t st = 0; st < u.busy_mean_percent.size(); ++st)
      json.begin_object()
          .value("stage", static_cast<int64_t>(st))
          .value("busy_mean_percent", u.busy_mean_percent[st])
          .value("mfu_mean_percent", u.mfu_mean_percent[st])
          .end_object();
    json.end_array().end_object();
  }
  json.end_array();
  if (!s.pools.empty()) write_pools(json, s.pools);
  write_vidur_utilisation(json, s.vidur_utilisation);
  write_prefix_cache(json, s.prefix_cache);
  json.value("config", c.canonical());
  json.end_object();
}

void write_request_metrics_csv(const sim::Simulation& simulation, std::ostream& out) {
  out << "request_id,replica_id,arrived_at,num_prefill_tokens,num_decode_tokens,num_restarts,scheduled_at,"
         "prefill_completed_at,completed_at,e2e_time,e2e_time_normalized,execution_time,"
         "execution_time_normalized,model_execution_time,model_execution_time_normalized,preemption_time,"
         "scheduling_delay,execution_plus_preemption_time,execution_plus_preemption_time_normalized,ttft,"
         "prefill_time_execution_plus_preemption,prefill_time_execution_plus_preemption_normalized,"
         "decode_time_execution_plus_preemption_normalized,num_cached_prompt_tokens,decode_replica_id,"
         "decode_queueing_delay,kv_transfer_time\n";
  // Rows in request-id order: each id's completions counted, then the ids walked in order (the
  // sequence a sort of the completed ids gives, without sorting a million of them).
  const auto& requests = simulation.requests();
  std::vector<uint32_t> completions(requests.size(), 0);
  for (sim::RequestId id : simulation.metrics().completed()) {
    if (id < 0 || static_cast<size_t>(id) >= requests.size())
      throw std::logic_error("completed request id " + std::to_string(id) + " names no request");
    ++completions[static_cast<size_t>(id)];
  }
  // Rows go into one buffer, written out in large pieces: a million rows through the stream
  // field by field took seconds. A row's doubles repeat (execution times in three columns,
  // zeros), so their text comes through a memo.
  constexpr size_t kFields = 27;
  constexpr size_t kMaxRow = kFields * (kMaxDoubleText + 1);  // an int64 takes at most 20 characters
  constexpr size_t kBufferSize = size_t{1} << 20;
  std::vector<char> buffer(kBufferSize + kMaxRow);
  char* const begin = buffer.data();
  char* p = begin;
  DoubleTextMemo memo;
  const auto count = [&p](int64_t v) {
    p = std::to_chars(p, p + 20, v).ptr;
    *p++ = ',';
  };
  const auto real = [&p, &memo](double v) {
    p = memo.write(p, v);
    *p++ = ',';
  };
  for (size_t id = 0; id < requests.size(); ++id) {
    for (uint32_t k = 0; k < completions[id]; ++k) {
      const auto& r = requests[id];
      const auto m = sim::derive_request_metrics(r);
      count(r.id);
      count(r.replica_id);
      real(r.arrived_at);
      count(r.original_prefill_tokens);
      count(r.original_decode_tokens);
      count(r.num_restarts);
      real(r.scheduled_at);
      real(r.prefill_completed_at);
      real(r.completed_at);
      for (double v :
           {m.e2e_time, m.e2e_time_normalized, m.execution_time, m.execution_time_normalized, m.model_execution_time,
            m.model_execution_time_normalized, m.preemption_time, m.scheduling_delay, m.execution_plus_preemption_time,
            m.execution_plus_preemption_time_normalized, m.ttft, m.prefill_time_execution_plus_preemption,
            m.prefill_time_execution_plus_preemption_normalized, m.decode_time_execution_plus_preemption_normalized})
        real(v);
      count(r.num_cached_prompt_tokens);
      count(r.decode_replica_id);
      real(m.decode_queueing_delay);
      real(m.kv_transfer_time);
      p[-1] = '\n';
      if (static_cast<size_t>(p - begin) >= kBufferSize) {
        out.write(begin, p - begin);
        p = begin;
      }
    }
  }
  out.write(begin, p - begin);
}

void write_chrome_trace(const sim::Simulation& simulation, std::ostream& out) {
  JsonWriter json(out, 0);
  json.begin_object().begin_array("traceEvents");
  // One process per replica, named by its pool, so that a disaggregated run shows both pools.
  const bool disaggregated = simulation.setup().disaggregated();
  for (int32_t rep = 0; rep < simulation.num_replicas(); ++rep) {
    const std::string pool = !disaggregated                      ? "replica "
                             : simulation.is_decode_replica(rep) ? "decode replica "
                                                                 : "prefill replica ";
    json.begin_object().value("name", "process_name").value("ph", "M").value("pid", static_cast<int64_t>(rep));
    json.begin_object("args").value("name", pool + std::to_string(rep)).end_object().end_object();
  }
  for (const auto& span : simulation.metrics().spans()) {
    json.begin_object()
        .value("name", "batch " + std::to_string(span.batch_id))
        .value("ph", "X")
        .value("ts", span.start * 1e6)
        .value("dur", span.duration * 1e6)
        .value("pid", static_cast<int64_t>(span.replica))
        .value("tid", static_cast<int64_t>(span.stage));
    json.begin_object("args")
        .value("batch_id", span.batch_id)
        .value("batch_size", span.batch_size)
        .value("num_tokens", span.num_tokens)
        .end_object()
        .end_object();
  }
  // KV transfers on a thread of their own under the sending replica, one span each.
  for (const auto& t : simulation.metrics().transfer_spans()) {
    json.begin_object()
        .value("name", "KV of request " + std::to_string(t.request))
        .value("ph", "X")
        .value("ts", t.start * 1e6)
        .value("dur", (t.end - t.start) * 1e6)
        .value("pid", static_cast<int64_t>(t.from_replica))
        .value("tid", "kv transfers");
    json.begin_object("args")
        .value("request_id", t.request)
        .value("to_replica", static_cast<int64_t>(t.to_replica))
        .end_object()
        .end_object();
  }
  json.end_array().value("displayTimeUnit", "ms").end_object();
}

std::string write_simulation_outputs(const sim::Simulation& simulation, const sim::SimulationSummary& summary,
                                     const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw InputError::setting("output-dir", "cannot create '" + directory + "': " + ec.message());
  const fs::path dir(directory);
  std::string written;
  {
    auto out = open_output(dir / "summary.json");
    write_summary_json(simulation, summary, out);
    written += (dir / "summary.json").string() + "\n";
  }
  {
    auto out = open_output(dir / "request_metrics.csv");
    write_request_metrics_csv(simulation, out);
    written += (dir / "request_metrics.csv").string() + "\n";
  }
  if (simulation.setup().config.record_trace) {
    auto out = open_output(dir / "chrome_trace.json");
    write_chrome_trace(simulation, out);
    written += (dir / "chrome_trace.json").string() + "\n";
  }
  return written;
}

void print_summary_table(const sim::Simulation& simulation, const sim::SimulationSummary& s, std::ostream& out) {
  const auto& setup = simulation.setup();
  const auto& c = setup.config;
  char line[256];
  std::snprintf(line, sizeof line, "%s on %d x %s (TP%d PP%d, %s), %s scheduler, predictor %s\n",
                setup.model.name.c_str(), static_cast<int>(c.num_replicas), setup.gpu.name.c_str(),
                static_cast<int>(c.parallel.tensor_parallel), static_cast<int>(c.parallel.pipeline_parallel),
                setup.node.name.c_str(), c.scheduler.replica_scheduler.c_str(), c.predictor.name.c_str());
  out << line;
  if (setup.decode_pool) {
    const auto& d = *setup.decode_pool;
    std::snprintf(line, sizeof line,
                  "  prefill pool above; decode pool %d x %s (TP%d PP%d, %s), %s scheduler, routed by %s; KV sent %s "
                  "over %s\n",
                  static_cast<int>(d.config.num_replicas), d.gpu.name.c_str(),
                  static_cast<int>(d.config.parallel.tensor_parallel),
                  static_cast<int>(d.config.parallel.pipeline_parallel), d.node.name.c_str(),
                  d.config.scheduler.replica_scheduler.c_str(), c.disaggregation.decode_router.c_str(),
                  c.disaggregation.kv_transfer.c_str(), c.disaggregation.kv_link.c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "requests %lld/%lld completed, %lld restarts, %lld batches, simulated %.2f s%s\n",
                static_cast<long long>(s.num_completed), static_cast<long long>(s.num_requests),
                static_cast<long long>(s.num_restarts), static_cast<long long>(s.num_batches), s.end_time_s,
                s.hit_time_limit ? " (time limit reached)" : "");
  out << line;
  if (setup.workload_notes.cut_to_max_tokens > 0) {
    std::snprintf(line, sizeof line, "requests cut to --max-tokens %lld: %lld\n",
                  static_cast<long long>(c.workload.max_tokens),
                  static_cast<long long>(setup.workload_notes.cut_to_max_tokens));
    out << line;
  }
  std::snprintf(line, sizeof line, "%-26s %10s %10s %10s %10s %10s\n", "metric (s)", "mean", "p50", "p90", "p99",
                "max");
  out << line;
  auto row = [&](const char* name, const sim::Distribution& d) {
    std::snprintf(line, sizeof line, "%-26s %10.4f %10.4f %10.4f %10.4f %10.4f\n", name, d.mean, d.p50, d.p90, d.p99,
                  d.max);
    out << line;
  };
  row("ttft", s.request_metric("ttft"));
  row("tbt", s.tbt);
  row("e2e_time", s.request_metric("e2e_time"));
  row("scheduling_delay", s.request_metric("scheduling_delay"));
  row("batch_execution_time", s.batch_metrics.front().second);
  if (setup.disaggregated()) {
    row("decode_queueing_delay", s.request_metric("decode_queueing_delay"));
    row("kv_transfer_time", s.request_metric("kv_transfer_time"));
  }
  for (const auto& p : s.pools) {
    std::snprintf(line, sizeof line, "%s pool: %lld x %s (%lld GPUs): KV memory %.1f%% mean, busy %.1f%%, MFU %.1f%%\n",
                  p.name.c_str(), static_cast<long long>(p.replicas), p.gpu.c_str(), static_cast<long long>(p.gpus),
                  p.memory_usage_mean_percent, p.busy_mean_percent, p.mfu_mean_percent);
    out << line;
  }
  for (size_t rep = 0; rep < s.replicas.size(); ++rep) {
    const auto& u = s.replicas[rep];
    std::snprintf(line, sizeof line, "replica %zu: KV memory %.1f%% mean (%.1f%% max), busy %.1f%%, MFU %.1f%%\n", rep,
                  u.memory_usage_mean_percent, u.memory_usage_max_percent, u.busy_mean_percent.front(),
                  u.mfu_mean_percent.front());
    out << line;
  }
  if (s.prefix_cache.enabled) {
    const auto& p = s.prefix_cache.total;
    std::snprintf(line, sizeof line,
                  "prefix cache: %lld lookups, %.1f%% of queried tokens hit (%lld of %lld), %.1f%% of blocks, "
                  "%lld evictions\n",
                  static_cast<long long>(p.lookups), 100.0 * sim::token_hit_rate(p),
                  static_cast<long long>(p.hit_tokens), static_cast<long long>(p.queried_tokens),
                  100.0 * sim::block_hit_rate(p), static_cast<long long>(p.evictions));
    out << line;
  }
}

}  // namespace infersweep::io
