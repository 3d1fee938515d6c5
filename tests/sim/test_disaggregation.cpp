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
