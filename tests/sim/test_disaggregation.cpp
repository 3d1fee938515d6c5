// Disaggregated deployments (docs/disaggregation.md): a request worked through by hand, links
// shared by concurrent transfers, decode pools without room, invariants on random workloads, an
// M/D/1 limit of the prefill pool, and the slow link that makes disaggregation lose. Every case
// uses the roofline predictor (no profiling data) on Llama-2-7B and A100s unless it says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/sim/kv_link.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

// A setup with the predictors of both its pools (the same pool twice when co-located), which
// must outlive the simulations run from it.
struct Deployment {
  SimulationSetup setup;
  predict::ExecutionTimePredictor prefill, decode;

  explicit Deployment(SimulationSetup s)
      : setup(std::move(s)),
        prefill(test_support::make_predictor(setup)),
        decode(test_support::make_predictor(setup.decode_pool ? *setup.decode_pool : setup)) {}

  std::unique_ptr<Simulation> run() const {
    auto sim = std::make_unique<Simulation>(setup, prefill, &decode);
    sim->run();
    return sim;
  }
  // One batch of `n` requests each computing `tokens` after `context`, on one pool (pp = 1).
  static double batch_time(const predict::ExecutionTimePredictor& p, size_t n, int64_t context, int64_t tokens,
                           bool prefill) {
    return p.predict(n, [&](size_t) { return predict::RequestSlice{context, tokens, prefill}; }).total_time_s(true);
  }
};

// P prefill and D decode replicas of one A100 each, vLLM's scheduler in both pools.
SimulationConfig pd_config(int64_t prefill_replicas, int64_t decode_replicas) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = "vllm";
  c.num_replicas = prefill_replicas;
  c.disaggregation.decode_replicas = decode_replicas;
  return c;
}

workload::RequestSpec request_at(double t, int64_t prompt, int64_t output) {
  workload::RequestSpec r;
  r.arrived_at = t;
  r.num_prefill_tokens = prompt;
  r.num_decode_tokens = output;
  return r;
}

// The KV transfer formula of kv_link.hpp, from the specs themselves.
double bytes_per_token(const spec::ModelSpec& m) {
  return static_cast<double>(m.num_layers) * static_cast<double>(m.num_kv_heads) * static_cast<double>(m.head_dim()) *
         2.0 * 2.0;
}

double lone_transfer_s(const SimulationSetup& setup, int64_t tokens, double gpu_gbps) {
  const auto& p = setup.config.parallel;
  const auto& q = setup.decode_pool->config.parallel;
  const auto gpus = std::min(p.tensor_parallel * p.pipeline_parallel, q.tensor_parallel * q.pipeline_parallel);
  const double latency_s = setup.node.inter_node_latency_us * 1e-6;
  return latency_s +
         static_cast<double>(tokens) * bytes_per_token(setup.model) / (static_cast<double>(gpus) * gpu_gbps * 1e9);
}

void expect_near_relative(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-12 * std::abs(expected)) << what;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. One request, worked by hand: TTFT is its lone prefill, the first gap between tokens its
//    transfer and one decode step.

namespace {
struct ShapeCase {
  int64_t prefill_tp, decode_tp;
};
void PrintTo(const ShapeCase& k, std::ostream* out) { *out << "TP" << k.prefill_tp << " -> TP" << k.decode_tp; }
class OneRequest : public ::testing::TestWithParam<ShapeCase> {};
}  // namespace

TEST_P(OneRequest, TtftIsTheLonePrefillAndTheFirstGapTheTransferPlusOneDecodeStep) {
  const auto k = GetParam();
  constexpr int64_t kPrompt = 512;
  auto c = pd_config(1, 1);
  c.parallel.tensor_parallel = k.prefill_tp;
  c.disaggregation.decode_tp = k.decode_tp;
  auto setup = plan_simulation(c, test_support::catalog());
  setup.requests = {request_at(0.0, kPrompt, 2)};
  // The specs the formula reads: Llama-2-7B, an A100 node's 12.5 GB/s and 10 us between nodes.
  ASSERT_EQ(setup.model.num_layers, 32);
  ASSERT_EQ(setup.model.num_kv_heads, 32);
  ASSERT_EQ(setup.model.head_dim(), 128);
  ASSERT_EQ(setup.node.inter_node_bandwidth_gbps, 12.5);
  ASSERT_EQ(setup.node.inter_node_latency_us, 10.0);
  const Deployment d(setup);
  const auto sim = d.run();
  const Request& r = sim->requests().at(0);
  ASSERT_TRUE(r.completed);

  const double prefill = Deployment::batch_time(d.prefill, 1, 0, kPrompt, true);
  // Its one decode step reads the prompt's KV and the first token's.
  const double step = Deployment::batch_time(d.decode, 1, kPrompt + 1, 1, false);
  const double transfer = lone_transfer_s(setup, kPrompt, 12.5);
  EXPECT_DOUBLE_EQ(sim->kv_bytes_per_token(), 32.0 * 32 * 128 * 2 * 2);
  expect_near_relative(kv_link(setup).transfer_time_s(kPrompt), transfer, "kv_link");

  EXPECT_EQ(r.replica_id, 0);
  EXPECT_EQ(r.decode_replica_id, 1);
  EXPECT_TRUE(r.handed_off);
  EXPECT_DOUBLE_EQ(r.prefill_completed_at - r.arrived_at, prefill);
  EXPECT_EQ(r.kv_transfer_started_at, r.prefill_completed_at);
  EXPECT_EQ(r.decode_started_at, r.kv_transfer_ended_at);
  expect_near_relative(r.completed_at - r.prefill_completed_at, transfer + step, "first TBT");
  const auto m = derive_request_metrics(r);
  EXPECT_EQ(m.decode_queueing_delay, 0.0);
  expect_near_relative(m.kv_transfer_time, transfer, "kv_transfer_time");
  EXPECT_DOUBLE_EQ(m.ttft, prefill);

  const auto summary = summarize(*sim);
  EXPECT_DOUBLE_EQ(summary.request_metric("ttft").max, prefill);
  EXPECT_EQ(summary.tbt.count, 1);
  expect_near_relative(summary.tbt.max, transfer + step, "summary TBT");
  expect_near_relative(summary.request_metric("kv_transfer_time").max, transfer, "summary kv_transfer_time");
  EXPECT_EQ(summary.request_metric("decode_queueing_delay").max, 0.0);
  ASSERT_EQ(summary.pools.size(), 2u);
  EXPECT_EQ(summary.pools[0].gpus, k.prefill_tp);
  EXPECT_EQ(summary.pools[1].gpus, k.decode_tp);
  EXPECT_EQ(sim->num_waiting_for_decode(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OneRequest, ::testing::Values(ShapeCase{1, 1}, ShapeCase{2, 1}, ShapeCase{2, 4}),
                         [](const ::testing::TestParamInfo<ShapeCase>& info) {
                           return "tp" + std::to_string(info.param.prefill_tp) + "_to_tp" +
                                  std::to_string(info.param.decode_tp);
                         });

// Layerwise: the link carries the KV during the prefill's last iteration, (L - 1)/L of it
// (L = 32 layers), and what is left goes after it, at least the last layer's 1/L.
TEST(Disaggregation, LayerwiseSendsWhatTheLinkCouldNotCarryDuringThePrefill) {
  constexpr int64_t kPrompt = 512;
  for (double gbps : {12.5, 1.0}) {
    auto c = pd_config(1, 1);
    c.disaggregation.kv_transfer = "layerwise";
    c.disaggregation.kv_link_bandwidth_gbps = gbps;
    auto setup = plan_simulation(c, test_support::catalog());
    setup.requests = {request_at(0.0, kPrompt, 2)};
    const Deployment d(setup);
    const auto sim = d.run();
    const Request& r = sim->requests().at(0);
    const double prefill = Deployment::batch_time(d.prefill, 1, 0, kPrompt, true);
    const double bytes = kPrompt * bytes_per_token(setup.model);
    const double rate = gbps * 1e9;
    const double layers = 32;
    const double left = std::max(bytes / layers, bytes - rate * prefill * (layers - 1) / layers);
    const double transfer = setup.node.inter_node_latency_us * 1e-6 + left / rate;
    expect_near_relative(derive_request_metrics(r).kv_transfer_time, transfer, "at " + std::to_string(gbps));
    const double step = Deployment::batch_time(d.decode, 1, kPrompt + 1, 1, false);
    expect_near_relative(r.completed_at - r.prefill_completed_at, transfer + step, "first TBT");
    // The two branches of the rule are both exercised: a fast link leaves the last layer only.
    if (gbps > 10) {
      EXPECT_DOUBLE_EQ(left, bytes / layers);
    } else {
      EXPECT_GT(left, bytes / layers);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Concurrent transfers share the link.

TEST(Disaggregation, TwoPromptsPrefilledTogetherShareTheirSendersLink) {
  constexpr int64_t kPrompt = 512;
  auto setup = plan_simulation(pd_config(1, 1), test_support::catalog());
  setup.requests = {request_at(0.0, kPrompt, 2), request_at(0.0, kPrompt, 2)};
  const Deployment d(setup);
  const auto sim = d.run();
  const double both_prefills = Deployment::batch_time(d.prefill, 2, 0, kPrompt, true);
  const double lone = lone_transfer_s(setup, kPrompt, 12.5);
  const double latency = 10e-6;
  const double shared = latency + 2 * (lone - latency);
  const double step = Deployment::batch_time(d.decode, 2, kPrompt + 1, 1, false);
  for (const auto& r : sim->requests()) {
    EXPECT_DOUBLE_EQ(r.prefill_completed_at, both_prefills) << "request " << r.id;  // one batch
    EXPECT_EQ(r.kv_transfer_started_at, r.prefill_completed_at);
    expect_near_relative(derive_request_metrics(r).kv_transfer_time, shared, "request " + std::to_string(r.id));
    // Both arrive together and decode their one step in one batch.
    expect_near_relative(r.completed_at, both_prefills + shared + step, "request " + std::to_string(r.id));
  }
}

TEST(Disaggregation, TwoPrefillReplicasSendingToOneDecodeReplicaShareItsLink) {
  constexpr int64_t kPrompt = 512;
  auto setup = plan_simulation(pd_config(2, 1), test_support::catalog());
  setup.requests = {request_at(0.0, kPrompt, 2), request_at(0.0, kPrompt, 2)};
  const Deployment d(setup);
  const auto sim = d.run();
  const double prefill = Deployment::batch_time(d.prefill, 1, 0, kPrompt, true);
  const double lone = lone_transfer_s(setup, kPrompt, 12.5);
  const double latency = 10e-6;
  EXPECT_NE(sim->requests()[0].replica_id, sim->requests()[1].replica_id);
  for (const auto& r : sim->requests()) {
    EXPECT_DOUBLE_EQ(r.prefill_completed_at, prefill);
    EXPECT_EQ(r.decode_replica_id, 2);
    expect_near_relative(derive_request_metrics(r).kv_transfer_time, latency + 2 * (lone - latency),
                         "request " + std::to_string(r.id));
  }
}

TEST(Disaggregation, TransfersToDifferentDecodeReplicasFromDifferentPrefillReplicasDoNotShare) {
  constexpr int64_t kPrompt = 512;
  auto setup = plan_simulation(pd_config(2, 2), test_support::catalog());
  setup.requests = {request_at(0.0, kPrompt, 2), request_at(0.0, kPrompt, 2)};
  const Deployment d(setup);
  const auto sim = d.run();
  const double lone = lone_transfer_s(setup, kPrompt, 12.5);
  // least_kv sends the second to the decode replica the first did not reserve room on.
  EXPECT_NE(sim->requests()[0].decode_replica_id, sim->requests()[1].decode_replica_id);
  for (const auto& r : sim->requests())
    expect_near_relative(derive_request_metrics(r).kv_transfer_time, lone, "request " + std::to_string(r.id));
}

// ---------------------------------------------------------------------------------------------
// 3. A decode pool without room: the request waits, in order, and the wait is reported.

namespace {
// Two requests prefilled together for a decode replica that has room for one: the second's
// transfer starts when the first completes.
void expect_second_waits_for_first(const Simulation& sim) {
  const auto& a = sim.requests().at(0);
  const auto& b = sim.requests().at(1);
  ASSERT_TRUE(a.completed && b.completed);
  EXPECT_EQ(a.prefill_completed_at, b.prefill_completed_at);
  EXPECT_EQ(derive_request_metrics(a).decode_queueing_delay, 0.0);
  EXPECT_EQ(b.kv_transfer_started_at, a.completed_at);
  const double wait = a.completed_at - b.prefill_completed_at;
  EXPECT_GT(wait, 0.0);
  EXPECT_EQ(derive_request_metrics(b).decode_queueing_delay, wait);
  const auto summary = summarize(sim);
  const auto& delay = summary.request_metric("decode_queueing_delay");
  EXPECT_EQ(delay.count, 2);
  EXPECT_EQ(delay.min, 0.0);
  EXPECT_EQ(delay.max, wait);
  EXPECT_DOUBLE_EQ(delay.mean, wait / 2);
  EXPECT_EQ(sim.num_waiting_for_decode(), 0u);
}
}  // namespace

TEST(Disaggregation, ADecodeReplicaAtItsRequestCapMakesTheNextPrefilledRequestWait) {
  for (const char* scheduler : {"vllm", "sarathi", "vllm_v1"}) {
    SCOPED_TRACE(scheduler);
    auto c = pd_config(1, 1);
    c.scheduler.replica_scheduler = scheduler;
    c.disaggregation.decode_batch_size_cap = 1;
    auto setup = plan_simulation(c, test_support::catalog());
    setup.requests = {request_at(0.0, 256, 4), request_at(0.0, 256, 4)};
    const Deployment d(setup);
    expect_second_waits_for_first(*d.run());
  }
}

TEST(Disaggregation, ADecodeReplicaWithoutBlocksForThePromptMakesItWait) {
  // 40 blocks of 16 tokens on the decode replica: one 512-token prompt (32 blocks) and its
  // output fit, a second prompt does not until the first has completed and freed its blocks.
  auto setup = plan_simulation(pd_config(1, 1), test_support::catalog());
  auto pool = std::make_shared<SimulationSetup>(*setup.decode_pool);
  pool->config.scheduler.num_blocks = 40;
  setup.decode_pool = pool;
  setup.requests = {request_at(0.0, 512, 4), request_at(0.0, 512, 4)};
  const Deployment d(setup);
  const auto sim = d.run();
  EXPECT_EQ(sim->replica_scheduler(1).blocks().num_blocks(), 40);
  expect_second_waits_for_first(*sim);
}

// ---------------------------------------------------------------------------------------------
// 4. Invariants on random workloads: pool shapes, schedulers and transfer modes, with KV small
//    enough that decode replicas run out of room and preempt.

namespace {

struct PdCase {
  int64_t prefill_replicas, decode_replicas;
  std::string prefill_scheduler, decode_scheduler;
  std::string transfer;
  int64_t decode_tp = 0, decode_pp = 0;
};

void PrintTo(const PdCase& k, std::ostream* out) {
  *out << k.prefill_replicas << "P:" << k.decode_replicas << "D " << k.prefill_scheduler << "/" << k.decode_scheduler
       << " " << k.transfer << " decode TP" << k.decode_tp << " PP" << k.decode_pp;
}

constexpr int64_t kInvariantRequests = 200;

SimulationConfig invariant_config(const PdCase& k, uint64_t seed) {
  SimulationConfig c;
  c.num_replicas = k.prefill_replicas;
  c.scheduler.replica_scheduler = k.prefill_scheduler;
  c.scheduler.global_scheduler = "round_robin";
  c.disaggregation.decode_replicas = k.decode_replicas;
  c.disaggregation.decode_scheduler = k.decode_scheduler;
  c.disaggregation.decode_tp = k.decode_tp;
  c.disaggregation.decode_pp = k.decode_pp;
  c.disaggregation.kv_transfer = k.transfer;
  c.workload.num_requests = kInvariantRequests;
  c.workload.length_generator = "uniform";
  c.workload.min_tokens = 64;
  c.workload.prefill_to_decode_ratio = 4;
  c.workload.qps = 0.75 * static_cast<double>(k.decode_replicas);
  c.workload.seed = seed;
  // Every replica of both pools gets 2.5 requests' worth of 4,096 tokens.
  c.scheduler.num_blocks = 640;
  return c;
}

// What a run must give the same twice.
struct Timings {
  std::vector<double> times;
  std::vector<int64_t> places;
  bool operator==(const Timings& o) const { return times == o.times && places == o.places; }
};

Timings timings_of(const Simulation& sim) {
  Timings t;
  for (const auto& r : sim.requests()) {
    t.times.insert(t.times.end(),
                   {r.scheduled_at, r.prefill_completed_at, r.kv_transfer_started_at, r.kv_transfer_ended_at,
                    r.decode_started_at, r.completed_at, r.preempted_time, r.execution_time});
    t.places.insert(t.places.end(), {r.replica_id, r.decode_replica_id, r.num_restarts, r.num_processed_tokens});
  }
  return t;
}

class DisaggregatedInvariants : public ::testing::TestWithParam<PdCase> {};

}  // namespace

TEST_P(DisaggregatedInvariants, HoldOnRandomWorkloads) {
  const PdCase k = GetParam();
  const auto P = static_cast<int32_t>(k.prefill_replicas);
  const auto D = static_cast<int32_t>(k.decode_replicas);
  int64_t restarts = 0, decode_restarts = 0, waits = 0, handed_off = 0;
  for (uint64_t seed : {1u, 2u}) {
    const Deployment d(prepare_simulation(invariant_config(k, seed), test_support::catalog()));
    std::unique_ptr<Simulation> sim;
    ASSERT_NO_THROW(sim = d.run());
    ASSERT_EQ(sim->num_replicas(), P + D);
    ASSERT_EQ(sim->num_prefill_replicas(), P);
    const auto summary = summarize(*sim);
    EXPECT_EQ(summary.num_completed, kInvariantRequests);
    EXPECT_EQ(sim->metrics().completed().size(), static_cast<size_t>(kInvariantRequests));
    std::vector<int> completions(sim->requests().size(), 0);
    for (RequestId id : sim->metrics().completed()) ++completions.at(static_cast<size_t>(id));
    int64_t expected_tokens = 0;
    for (const auto& r : sim->requests()) {
      const std::string who = "request " + std::to_string(r.id);
      ASSERT_TRUE(r.completed) << who;
      EXPECT_EQ(completions[static_cast<size_t>(r.id)], 1) << who;
      EXPECT_EQ(r.num_processed_tokens, r.num_prefill_tokens + r.num_decode_tokens) << who;
      EXPECT_EQ(r.num_prefill_tokens + r.num_decode_tokens, r.original_prefill_tokens + r.original_decode_tokens);
      EXPECT_GE(r.replica_id, 0);
      EXPECT_LT(r.replica_id, P);
      EXPECT_LE(r.arrived_at, r.scheduled_at) << who;
      EXPECT_LT(r.scheduled_at, r.prefill_completed_at) << who;
      // Every request with an output token after the first leaves its prefill replica.
      EXPECT_EQ(r.handed_off, r.original_decode_tokens > 1) << who;
      if (r.handed_off) {
        EXPECT_GE(r.decode_replica_id, P) << who;
        EXPECT_LT(r.decode_replica_id, P + D) << who;
        EXPECT_LE(r.prefill_completed_at, r.kv_transfer_started_at) << who;
        EXPECT_LE(r.kv_transfer_started_at, r.kv_transfer_ended_at) << who;
        EXPECT_LE(r.kv_transfer_ended_at, r.decode_started_at) << who;
        EXPECT_LT(r.decode_started_at, r.completed_at) << who;
        const auto m = derive_request_metrics(r);
        if (k.transfer == "none") {
          EXPECT_EQ(m.kv_transfer_time, 0.0) << who;
        } else {
          EXPECT_GE(m.kv_transfer_time, 10e-6) << who;  // at least the link's latency
        }
        waits += m.decode_queueing_delay > 0 ? 1 : 0;
        // Preempted on its decode replica: what it had computed became its prompt there.
        decode_restarts += r.num_prefill_tokens > r.original_prefill_tokens ? 1 : 0;
        ++handed_off;
      } else {
        EXPECT_EQ(r.decode_replica_id, -1) << who;
        EXPECT_EQ(r.completed_at, r.prefill_completed_at) << who;
      }
      EXPECT_LE(r.completed_at, sim->end_time());
      if (r.num_restarts == 0) expected_tokens += r.original_prefill_tokens + r.original_decode_tokens - 1;
    }
    if (summary.num_restarts == 0) {
      // Prompts computed once on the prefill side, each output token but the first once on the
      // decode side.
      EXPECT_DOUBLE_EQ(sim->metrics().batch_num_tokens().sum(), static_cast<double>(expected_tokens));
    }
    EXPECT_EQ(sim->num_waiting_for_decode(), 0u);
    // KV within capacity whenever it changed, and all of it returned: the prefill replicas'
    // once the KV is sent, the decode replicas' once the requests complete.
    for (int32_t rep = 0; rep < P + D; ++rep) {
      EXPECT_EQ(sim->replica_scheduler(rep).blocks().allocated(), 0) << "replica " << rep;
      EXPECT_EQ(sim->replica_scheduler(rep).blocks().num_holders(), 0u) << "replica " << rep;
      EXPECT_TRUE(sim->replica_scheduler(rep).is_empty()) << "replica " << rep;
      EXPECT_EQ(sim->replica_scheduler(rep).outstanding_tokens(), 0) << "replica " << rep;
      EXPECT_LE(summary.replicas[static_cast<size_t>(rep)].memory_usage_max_percent, 100.0) << "replica " << rep;
      EXPECT_GT(summary.replicas[static_cast<size_t>(rep)].memory_usage_max_percent, 0.0) << "replica " << rep;
    }
    ASSERT_EQ(summary.pools.size(), 2u);
    EXPECT_EQ(summary.pools[0].replicas, P);
    EXPECT_EQ(summary.pools[1].replicas, D);
    restarts += summary.num_restarts;
    // The same seed gives the same run, to the bit.
    if (seed == 1) {
      EXPECT_TRUE(timings_of(*d.run()) == timings_of(*sim)) << "seed " << seed;
    }
  }
  // The workloads do exercise what the invariants guard: preemption, and decode replicas
  // without room for some of the prefilled requests but not all.
  EXPECT_GT(restarts, 0);
  EXPECT_GT(decode_restarts, 0);
  EXPECT_GT(waits, 0);
  EXPECT_LT(waits, handed_off);
}

INSTANTIATE_TEST_SUITE_P(
    Pools, DisaggregatedInvariants,
    ::testing::Values(PdCase{1, 1, "sarathi", "sarathi", "whole"}, PdCase{2, 1, "vllm", "vllm", "layerwise"},
                      PdCase{1, 3, "vllm_v1", "vllm_v1", "none"}, PdCase{2, 1, "sarathi", "vllm_v1", "whole"},
                      PdCase{1, 3, "vllm", "sarathi", "layerwise"}, PdCase{1, 1, "vllm_v1", "vllm", "none"},
                      PdCase{2, 1, "sarathi", "sarathi", "layerwise", 2, 2}),
    [](const ::testing::TestParamInfo<PdCase>& info) {
      const auto& k = info.param;
      return std::to_string(k.prefill_replicas) + "P" + std::to_string(k.decode_replicas) + "D_" + k.prefill_scheduler +
             "_" + k.decode_scheduler + "_" + k.transfer +
             (k.decode_tp > 0 ? "_tp" + std::to_string(k.decode_tp) + "pp" + std::to_string(k.decode_pp) : "");
    });

// ---------------------------------------------------------------------------------------------
// 5. An analytic limit. With one prefill replica that takes one prompt at a time, fixed prompt
//    lengths, Poisson arrivals and an instant transfer to a decode pool far from saturation,
//    nothing from the decode side reaches back: the prefill replica is an M/D/1 queue whose
//    service time S is the predicted time of one lone prefill. Its mean sojourn time, the mean
//    TTFT, is S + rho S / (2 (1 - rho)) (Pollaczek-Khinchine), rho = lambda S.

namespace {
SimulationConfig md1_config(double rho_target, uint64_t seed, int64_t num_requests, double service_s) {
  auto c = pd_config(1, 1);
  c.scheduler.batch_size_cap = 1;
  c.disaggregation.decode_batch_size_cap = 128;
  c.disaggregation.kv_transfer = "none";
  c.workload.num_requests = num_requests;
  c.workload.fixed_prefill_tokens = 1024;
  c.workload.fixed_decode_tokens = 4;
  c.workload.qps = rho_target / service_s;
  c.workload.seed = seed;
  return c;
}
}  // namespace

TEST(Disaggregation, APrefillPoolServingOnePromptAtATimeIsAnMD1Queue) {
  // Across 20 seeds of 20,000 requests the mean TTFT's relative deviation from the formula has
  // a standard deviation of 0.9% at rho = 0.5 and 2.4% at rho = 0.7 (waiting times of a queue
  // are correlated, more so near saturation); the bounds are about 4 and 3.3 of those. The
  // M/M/1 value, S / (1 - rho), is 33% and 65% above the M/D/1 one: far outside them.
  constexpr int64_t kRequests = 20000;
  constexpr int64_t kOutput = 4;
  double service = 0;
  {
    const Deployment probe(plan_simulation(md1_config(0.5, 1, 1, 1.0), test_support::catalog()));
    service = Deployment::batch_time(probe.prefill, 1, 0, 1024, true);
  }
  for (const auto& [rho, tolerance] : {std::pair{0.5, 0.04}, std::pair{0.7, 0.08}}) {
    SCOPED_TRACE("rho " + std::to_string(rho));
    const Deployment d(prepare_simulation(md1_config(rho, 1, kRequests, service), test_support::catalog()));
    const auto sim = d.run();
    const auto& requests = sim->requests();
    ASSERT_EQ(requests.size(), static_cast<size_t>(kRequests));
    double ttft_sum = 0;
    double previous_end = 0;
    int64_t mismatches = 0;
    for (const auto& r : requests) {
      // Exactly a FIFO queue with one deterministic server: a prompt starts when it arrives or
      // when the one before it ends, whichever is later, and takes S.
      if (r.scheduled_at != std::max(r.arrived_at, previous_end) || r.prefill_completed_at != r.scheduled_at + service)
        ++mismatches;
      previous_end = r.prefill_completed_at;
      ttft_sum += r.prefill_completed_at - r.arrived_at;
      // The decode side never holds anything back: no wait, no transfer time, and once its
      // first step starts a request runs every decode iteration back to back.
      ASSERT_TRUE(r.completed);
      EXPECT_EQ(r.kv_transfer_started_at, r.prefill_completed_at);
      EXPECT_EQ(r.kv_transfer_ended_at, r.prefill_completed_at);
      EXPECT_NEAR(r.preempted_time, r.decode_started_at - r.prefill_completed_at, 1e-9);
      EXPECT_NEAR(r.execution_time, service + (r.completed_at - r.decode_started_at), 1e-9);
    }
    EXPECT_EQ(mismatches, 0);
    const double pk = service + rho * service / (2 * (1 - rho));
    EXPECT_NEAR(ttft_sum / kRequests, pk, tolerance * pk);
    const auto summary = summarize(*sim);
    EXPECT_EQ(summary.request_metric("decode_queueing_delay").max, 0.0);
    EXPECT_EQ(summary.request_metric("kv_transfer_time").max, 0.0);
    EXPECT_EQ(summary.tbt.count, kRequests * (kOutput - 1));
  }
}

// ---------------------------------------------------------------------------------------------
// 6. The same two A100s co-located (two replicas) or disaggregated (one prefill, one decode).
//    Over a slow link disaggregation loses: every prompt's KV (512 MiB for 1,024 tokens) takes
//    over 10 s, and prefill replicas fill with KV waiting to be sent. With a free link the
//    decode replica never runs a prompt between decode steps, so the tail gaps between tokens
//    that co-located prefills cause disappear.

namespace {
struct Comparison {
  SimulationSummary colocated, disaggregated;
};

Comparison compare(const std::string& scheduler, const std::string& transfer, double link_gbps) {
  SimulationConfig c;
  c.scheduler.replica_scheduler = scheduler;
  c.workload.num_requests = 300;
  c.workload.fixed_prefill_tokens = 1024;
  c.workload.fixed_decode_tokens = 128;
  c.workload.qps = 4;
  c.num_replicas = 2;
  Comparison out;
  out.colocated = summarize(*Deployment(prepare_simulation(c, test_support::catalog())).run());
  c.num_replicas = 1;
  c.disaggregation.decode_replicas = 1;
  c.disaggregation.kv_transfer = transfer;
  c.disaggregation.kv_link_bandwidth_gbps = link_gbps;
  out.disaggregated = summarize(*Deployment(prepare_simulation(c, test_support::catalog())).run());
  EXPECT_EQ(out.colocated.num_completed, 300);
  EXPECT_EQ(out.disaggregated.num_completed, 300);
  return out;
}
}  // namespace

TEST(Disaggregation, OverASlowLinkDisaggregationLosesToColocation) {
  const auto s = compare("vllm", "whole", 0.05);
  EXPECT_GT(s.disaggregated.request_metric("e2e_time").mean, 10 * s.colocated.request_metric("e2e_time").mean);
  EXPECT_GT(s.disaggregated.request_metric("ttft").mean, s.colocated.request_metric("ttft").mean);
  EXPECT_GT(s.disaggregated.tbt.mean, s.colocated.tbt.mean);
  EXPECT_GT(s.disaggregated.request_metric("kv_transfer_time").min, 10.0);
}

TEST(Disaggregation, WithAFreeLinkDecodesAreNotInterruptedByPrefills) {
  for (const char* scheduler : {"vllm", "sarathi"}) {
    SCOPED_TRACE(scheduler);
    const auto s = compare(scheduler, "none", 0);
    EXPECT_LT(s.disaggregated.tbt.p99, s.colocated.tbt.p99);
    EXPECT_LT(s.disaggregated.tbt.max, s.colocated.tbt.max);
  }
}

// ---------------------------------------------------------------------------------------------
// Validity rules: each refusal names the setting at fault.

TEST(Disaggregation, ADecodePoolTheModelDoesNotFitIsRefusedNamingDecodeTp) {
  auto c = pd_config(1, 1);
  c.model = "meta-llama/Llama-2-70b-hf";
  c.parallel.tensor_parallel = 4;
  c.disaggregation.decode_tp = 1;
  const auto message = test_support::input_error_of([&] { plan_simulation(c, test_support::catalog()); });
  EXPECT_NE(message.find("decode-tp"), std::string::npos) << message;
  EXPECT_NE(message.find("does not fit"), std::string::npos) << message;
  c.disaggregation.decode_tp = 2;  // 64 GiB of weights per GPU of the 72 GiB usable
  EXPECT_NO_THROW(plan_simulation(c, test_support::catalog()));
}

TEST(Disaggregation, ADecodeSchedulerThatTakesNoPrefilledRequestsIsRefused) {
  auto c = pd_config(1, 1);
  c.disaggregation.decode_scheduler = "orca";
  const auto message = test_support::input_error_of([&] { plan_simulation(c, test_support::catalog()); });
  EXPECT_NE(message.find("decode-scheduler"), std::string::npos) << message;
  EXPECT_NE(message.find("orca"), std::string::npos) << message;
  c.disaggregation.decode_scheduler = "";
  c.scheduler.replica_scheduler = "orca";
  const auto prefill = test_support::input_error_of([&] { plan_simulation(c, test_support::catalog()); });
  EXPECT_NE(prefill.find("replica-scheduler"), std::string::npos) << prefill;
}

TEST(Disaggregation, AnIntraNodeLinkForMoreGpusThanANodeHasIsRefused) {
  auto c = pd_config(1, 1);
  c.disaggregation.kv_link = "intra_node";
  c.parallel.tensor_parallel = 2;
  c.disaggregation.decode_tp = 2;
  EXPECT_NO_THROW(plan_simulation(c, test_support::catalog()));  // 2 + 2 GPUs in a 4-GPU node
  c.disaggregation.decode_tp = 4;
  const auto message = test_support::input_error_of([&] { plan_simulation(c, test_support::catalog()); });
  EXPECT_NE(message.find("kv-link"), std::string::npos) << message;
}
