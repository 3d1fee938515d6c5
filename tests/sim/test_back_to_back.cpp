// Back-to-back iterations, decode stretches and decode runs (docs/simulator.md, "Hot path")
// change how a run is computed, never what it computes: every case runs four times, every
// iteration through the event queue and every batch request by request, the same with decode
// runs, back to back with decode runs but without stretches, and with all three (the default),
// and the four must agree bit for bit in every request's state, the outputs' text (shortest
// round-trip numbers), the events and batches counted and where the run ended. A fifth run,
// without detailed metrics (as a capacity search's probes run), must agree with them in all
// that it still keeps.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "infersweep/io/simulation_report.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

struct Case {
  std::string name;
  std::string scheduler = "sarathi";
  int64_t replicas = 1, pp = 1;
  double qps = 2;
  int64_t num_blocks = 0;  // 0: as planned
  double time_limit_s = 0;
  int64_t stop_after = 0;
  bool prefix_caching = false;
  int64_t decode_replicas = 0;
  std::string length = "zipf";
  int64_t stop_after_completed = 0;
  std::string interval = "poisson";
  int64_t batch_cap = 0;   // 0: the default
  int64_t chunk_size = 0;  // 0: the default
};

void PrintTo(const Case& k, std::ostream* out) { *out << k.name; }

SimulationConfig config_for(const Case& k, uint64_t seed) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = k.scheduler;
  if (k.scheduler == "lightllm") c.scheduler.block_size = 1;
  c.scheduler.prefix_caching = k.prefix_caching;
  c.num_replicas = k.replicas;
  c.parallel.pipeline_parallel = k.pp;
  c.workload.num_requests = 240;
  c.workload.length_generator = k.length;
  c.workload.interval_generator = k.interval;
  // Prompts of two chunks and more.
  c.workload.fixed_prefill_tokens = 700;
  c.workload.fixed_decode_tokens = 60;
  c.workload.min_tokens = 32;
  c.workload.max_tokens = 2048;
  c.workload.prefill_to_decode_ratio = 2;
  c.workload.qps = k.qps;
  c.workload.seed = seed;
  c.scheduler.num_blocks = k.num_blocks;
  if (k.batch_cap > 0) c.scheduler.batch_size_cap = k.batch_cap;
  if (k.chunk_size > 0) c.scheduler.chunk_size = k.chunk_size;
  c.time_limit_s = k.time_limit_s;
  c.stop_after_delayed_requests = k.stop_after;
  c.stop_delay_threshold_s = k.stop_after > 0 ? 0.5 : 0;
  c.stop_after_completed_requests = k.stop_after_completed;
  c.disaggregation.decode_replicas = k.decode_replicas;
  c.record_trace = true;
  return c;
}

struct RunOutputs {
  std::unique_ptr<Simulation> sim;
  std::string summary, request_metrics, trace;
};

RunOutputs run(const SimulationSetup& setup, const predict::ExecutionTimePredictor& prefill,
               const predict::ExecutionTimePredictor& decode, bool back_to_back, bool stretches,
               bool decode_runs = true) {
  RunOutputs r;
  r.sim = std::make_unique<Simulation>(setup, prefill, &decode);
  r.sim->set_back_to_back(back_to_back);
  r.sim->set_decode_stretches(stretches);
  r.sim->set_decode_runs(decode_runs);
  r.sim->run();
  std::ostringstream summary, metrics, trace;
  io::write_summary_json(*r.sim, summarize(*r.sim), summary);
  io::write_request_metrics_csv(*r.sim, metrics);
  io::write_chrome_trace(*r.sim, trace);
  r.summary = summary.str();
  r.request_metrics = metrics.str();
  r.trace = trace.str();
  return r;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every field of the request, so that a state left different by a stretch (not only what the
// outputs print) is caught; without `stage_times`, all but the times kept stage by stage.
void expect_same_request(const Request& a, const Request& b, bool stage_times = true) {
  SCOPED_TRACE("request " + std::to_string(a.id));
  EXPECT_EQ(a.replica_id, b.replica_id);
  EXPECT_EQ(a.num_prefill_tokens, b.num_prefill_tokens);
  EXPECT_EQ(a.num_decode_tokens, b.num_decode_tokens);
  EXPECT_EQ(a.num_processed_tokens, b.num_processed_tokens);
  EXPECT_EQ(a.num_cached_prompt_tokens, b.num_cached_prompt_tokens);
  EXPECT_EQ(a.num_restarts, b.num_restarts);
  EXPECT_EQ(a.scheduled, b.scheduled);
  EXPECT_EQ(a.completed, b.completed);
  EXPECT_EQ(a.is_prefill_complete, b.is_prefill_complete);
  if (stage_times) {
    EXPECT_EQ(a.has_completed_a_stage, b.has_completed_a_stage);
  }
  EXPECT_EQ(a.decode_replica_id, b.decode_replica_id);
  EXPECT_EQ(a.handed_off, b.handed_off);
  std::vector<std::pair<const char*, std::pair<double, double>>> times = {
      {"scheduled_at", {a.scheduled_at, b.scheduled_at}},
      {"scheduling_delay", {a.scheduling_delay, b.scheduling_delay}},
      {"completed_at", {a.completed_at, b.completed_at}},
      {"prefill_completed_at", {a.prefill_completed_at, b.prefill_completed_at}},
      {"latest_iteration_completed_at", {a.latest_iteration_completed_at, b.latest_iteration_completed_at}},
      {"kv_transfer_started_at", {a.kv_transfer_started_at, b.kv_transfer_started_at}},
      {"kv_transfer_ended_at", {a.kv_transfer_ended_at, b.kv_transfer_ended_at}},
      {"decode_started_at", {a.decode_started_at, b.decode_started_at}},
  };
  if (stage_times)
    times.insert(times.end(),
                 {{"execution_time", {a.execution_time, b.execution_time}},
                  {"model_execution_time", {a.model_execution_time, b.model_execution_time}},
                  {"preempted_time", {a.preempted_time, b.preempted_time}},
                  {"latest_stage_scheduled_at", {a.latest_stage_scheduled_at, b.latest_stage_scheduled_at}},
                  {"latest_stage_completed_at", {a.latest_stage_completed_at, b.latest_stage_completed_at}}});
  for (const auto& [name, values] : times)
    EXPECT_TRUE(same_bits(values.first, values.second)) << name << ": " << values.first << " vs " << values.second;
}

void expect_same_run(const RunOutputs& a, const RunOutputs& b) {
  EXPECT_EQ(a.sim->num_events(), b.sim->num_events());
  EXPECT_EQ(a.sim->num_batches(), b.sim->num_batches());
  EXPECT_TRUE(same_bits(a.sim->end_time(), b.sim->end_time()));
  EXPECT_EQ(a.sim->hit_time_limit(), b.sim->hit_time_limit());
  EXPECT_EQ(a.sim->stopped_early(), b.sim->stopped_early());
  EXPECT_EQ(a.sim->metrics().completed(), b.sim->metrics().completed());
  EXPECT_TRUE(same_bits(a.sim->metrics().tbt().sum(), b.sim->metrics().tbt().sum()));
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.request_metrics, b.request_metrics);
  EXPECT_EQ(a.trace, b.trace);
  ASSERT_EQ(a.sim->requests().size(), b.sim->requests().size());
  for (size_t i = 0; i < a.sim->requests().size(); ++i) expect_same_request(a.sim->requests()[i], b.sim->requests()[i]);
}

// What a run without detailed metrics keeps (a capacity search's probe reads these) is what the
// full run has; what it drops is not recorded at all.
void expect_same_lean_run(const RunOutputs& full, const RunOutputs& lean) {
  const Simulation& a = *full.sim;
  const Simulation& b = *lean.sim;
  EXPECT_EQ(a.num_events(), b.num_events());
  EXPECT_EQ(a.num_batches(), b.num_batches());
  EXPECT_TRUE(same_bits(a.end_time(), b.end_time()));
  EXPECT_EQ(a.hit_time_limit(), b.hit_time_limit());
  EXPECT_EQ(a.stopped_early(), b.stopped_early());
  const auto& m = a.metrics();
  const auto& n = b.metrics();
  EXPECT_EQ(m.completed(), n.completed());
  EXPECT_EQ(m.tbt().count(), n.tbt().count());
  EXPECT_EQ(m.batch_size().count(), n.batch_size().count());
  EXPECT_TRUE(same_bits(m.tbt().sum(), n.tbt().sum()));
  EXPECT_TRUE(same_bits(m.batch_size().sum(), n.batch_size().sum()));
  for (double q : {0.5, 0.9, 0.99}) EXPECT_TRUE(same_bits(m.tbt().quantile(q), n.tbt().quantile(q))) << q;
  const double end = a.end_time();
  for (int32_t rep = 0; rep < m.num_replicas(); ++rep) {
    EXPECT_TRUE(same_bits(m.memory(rep).mean(end), n.memory(rep).mean(end))) << "replica " << rep;
    for (int32_t st = 0; st < m.num_stages(rep); ++st) {
      EXPECT_TRUE(same_bits(m.busy(rep, st).mean(end), n.busy(rep, st).mean(end))) << rep << "/" << st;
      EXPECT_TRUE(same_bits(m.mfu(rep, st).mean(end), n.mfu(rep, st).mean(end))) << rep << "/" << st;
    }
  }
  EXPECT_EQ(n.batch_num_tokens().count(), 0);
  EXPECT_EQ(n.batch_execution_time().count(), 0);
  ASSERT_EQ(a.requests().size(), b.requests().size());
  for (size_t i = 0; i < a.requests().size(); ++i) {
    expect_same_request(a.requests()[i], b.requests()[i], /*stage_times=*/false);
    EXPECT_EQ(b.requests()[i].execution_time, 0.0);
    EXPECT_EQ(b.requests()[i].preempted_time, 0.0);
  }
}

class BackToBack : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(BackToBack, GivesTheSameRunAsEveryIterationThroughTheEventQueue) {
  const Case k = GetParam();
  int64_t stretched = 0, batches = 0, limited = 0, stopped = 0, decode_runs = 0, lean_decode_runs = 0;
  Simulation::StretchCounts counts;
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto setup = prepare_simulation(config_for(k, seed), test_support::catalog());
    const auto prefill = test_support::make_predictor(setup);
    const auto decode = test_support::make_predictor(setup.decode_pool ? *setup.decode_pool : setup);
    const RunOutputs queued = run(setup, prefill, decode, false, false, false);
    const RunOutputs runs = run(setup, prefill, decode, false, false, true);
    const RunOutputs back_to_back = run(setup, prefill, decode, true, false);
    const RunOutputs stretches = run(setup, prefill, decode, true, true);
    auto lean_config = config_for(k, seed);
    lean_config.detailed_metrics = false;
    const auto lean_setup = prepare_simulation(lean_config, test_support::catalog());
    const RunOutputs lean = run(lean_setup, prefill, decode, true, true);
    EXPECT_EQ(queued.sim->num_stretch_iterations(), 0);
    EXPECT_EQ(back_to_back.sim->num_stretch_iterations(), 0);
    EXPECT_EQ(queued.sim->num_decode_run_batches(), 0);
    {
      SCOPED_TRACE("decode runs");
      expect_same_run(queued, runs);
    }
    {
      SCOPED_TRACE("back to back");
      expect_same_run(queued, back_to_back);
    }
    {
      SCOPED_TRACE("decode stretches");
      expect_same_run(queued, stretches);
    }
    {
      SCOPED_TRACE("without detailed metrics");
      expect_same_lean_run(queued, lean);
    }
    stretched += stretches.sim->num_stretch_iterations();
    counts.with_prompt_chunks += stretches.sim->stretch_counts().with_prompt_chunks;
    counts.in_flight += stretches.sim->stretch_counts().in_flight;
    counts.handed_over += stretches.sim->stretch_counts().handed_over;
    limited += stretches.sim->hit_time_limit() ? 1 : 0;
    stopped += stretches.sim->stopped_early() ? 1 : 0;
    batches += stretches.sim->num_batches();
    decode_runs += runs.sim->num_decode_run_batches();
    lean_decode_runs += lean.sim->num_decode_run_batches();
  }
  // Decode runs (the second run above) time and end most batches of every case, and, where
  // stretches cannot run, of the default runs too.
  EXPECT_GT(decode_runs, batches / 2) << decode_runs << " of " << batches << " batches with a decode run";
  if (k.pp > 1) {
    EXPECT_GT(lean_decode_runs, batches / 2) << lean_decode_runs << " of " << batches;
  }
  // The runs end as the case means them to, at least once.
  EXPECT_EQ(limited > 0, k.time_limit_s > 0);
  EXPECT_EQ(stopped > 0, k.stop_after > 0 || k.stop_after_completed > 0);
  // The cases that can run stretches do, so the comparison above covers them: under a light
  // load most iterations, under a heavy one those between arrivals.
  const bool can_stretch =
      (k.scheduler == "sarathi" || k.scheduler == "vllm") && k.pp == 1 && !k.prefix_caching && k.decode_replicas == 0;
  if (!can_stretch)
    EXPECT_EQ(stretched, 0);
  else if (k.qps <= 2)
    EXPECT_GT(stretched, batches / 2) << stretched << " of " << batches << " iterations in stretches";
  else
    EXPECT_GT(stretched, batches / 100) << stretched << " of " << batches << " iterations in stretches";
  // Sarathi-Serve's stretches carry prompt chunks, vLLM's never; iterations stay in flight while
  // requests arrive, and where two replicas run in step, one ends at the time another's does and
  // is handed over to end as a batch.
  if (can_stretch) {
    EXPECT_EQ(counts.with_prompt_chunks > 0, k.scheduler == "sarathi") << counts.with_prompt_chunks;
    if (k.interval == "poisson") {
      EXPECT_GT(counts.in_flight, 0);
    }
    if (k.interval == "static" && k.replicas > 1) {
      EXPECT_GT(counts.handed_over, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Simulation, BackToBack,
    ::testing::Values(Case{"sarathi_light_load"}, Case{"sarathi_heavy_load", "sarathi", 1, 1, 12},
                      Case{"sarathi_preempting", "sarathi", 1, 1, 20, 160},
                      Case{"sarathi_three_replicas", "sarathi", 3, 1, 6},
                      Case{"sarathi_time_limit", "sarathi", 1, 1, 6, 0, 20},
                      Case{"sarathi_early_stop", "sarathi", 1, 1, 8, 160, 0, 5},
                      Case{"sarathi_completion_stop", "sarathi", 1, 1, 1e6, 0, 0, 0, false, 0, "zipf", 181},
                      Case{"vllm_pp2_completion_stop", "vllm", 2, 2, 1e6, 0, 0, 0, false, 0, "zipf", 181},
                      Case{"sarathi_prefix_caching", "sarathi", 1, 1, 4, 0, 0, 0, true},
                      Case{"sarathi_pp2", "sarathi", 1, 2, 4}, Case{"sarathi_pp4_two_replicas", "sarathi", 2, 4, 8},
                      Case{"vllm_pp2_three_replicas_uniform", "vllm", 3, 2, 6, 0, 0, 0, false, 0, "uniform"},
                      Case{"vllm_light_load", "vllm"}, Case{"vllm_preempting", "vllm", 1, 1, 20, 160},
                      Case{"vllm_two_replicas_time_limit", "vllm", 2, 1, 8, 0, 15},
                      Case{"vllm_disaggregated", "vllm", 1, 1, 4, 0, 0, 0, false, 1}, Case{"orca", "orca", 1, 1, 4},
                      Case{"lightllm", "lightllm", 1, 1, 4}, Case{"faster_transformer", "faster_transformer", 1, 1, 4},
                      Case{"vllm_v1", "vllm_v1", 1, 1, 4},
                      Case{"sarathi_two_replicas_in_step", "sarathi", 2, 1, 2, 0, 0, 0, false, 0, "fixed", 0, "static"},
                      Case{"vllm_two_replicas_in_step", "vllm", 2, 1, 2, 0, 0, 0, false, 0, "fixed", 0, "static"},
                      Case{"sarathi_batch_cap", "sarathi", 1, 1, 6, 0, 0, 0, false, 0, "fixed", 0, "poisson", 4},
                      // Chunks smaller than the decodes: prompts wait in the running list unserved.
                      Case{"sarathi_small_chunks_preempting", "sarathi", 1, 1, 12, 400, 0, 0, false, 0, "zipf", 0,
                           "poisson", 0, 8}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });
