// Prefix-cache metrics from the KV managers and the requests to every output: the summary,
// summary.json, the text summary and request_metrics.csv.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <sstream>
#include <string>

#include "infersweep/io/simulation_report.hpp"
#include "infersweep/sim/simulation_summary.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

SimulationConfig small_run(const std::string& scheduler = "vllm") {
  SimulationConfig c;
  c.scheduler.replica_scheduler = scheduler;
  c.num_replicas = 2;
  c.workload.num_requests = 12;
  c.workload.fixed_prefill_tokens = 100;
  c.workload.fixed_decode_tokens = 4;
  c.workload.qps = 20;
  return c;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> fields_of(const std::string& row) {
  std::vector<std::string> fields;
  std::stringstream in(row);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  return fields;
}

// The position of `name` in a CSV header; fails the test if it is missing.
size_t column_of(const std::string& header, const std::string& name) {
  const auto names = fields_of(header);
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << header;
  return static_cast<size_t>(it - names.begin());
}

std::string field_of(const std::string& row, size_t column) {
  const auto fields = fields_of(row);
  return column < fields.size() ? fields[column] : "<missing>";
}

}  // namespace

TEST(PrefixMetrics, HitRatesAreSharesOfTheQueriedAndZeroWhenNothingWasQueried) {
  PrefixCacheStats s;
  EXPECT_EQ(token_hit_rate(s), 0.0);
  EXPECT_EQ(block_hit_rate(s), 0.0);
  s.queried_tokens = 300;
  s.hit_tokens = 120;
  s.queried_blocks = 16;
  s.hit_blocks = 4;
  EXPECT_DOUBLE_EQ(token_hit_rate(s), 0.4);
  EXPECT_DOUBLE_EQ(block_hit_rate(s), 0.25);
}

TEST(PrefixMetrics, ACountingModeRunReportsNoCacheAndZeroCounters) {
  const auto setup = prepare_simulation(small_run(), test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  const auto summary = summarize(sim);
  EXPECT_FALSE(summary.prefix_cache.enabled);
  ASSERT_EQ(summary.prefix_cache.replicas.size(), 2u);
  for (const auto& s : {summary.prefix_cache.total, summary.prefix_cache.replicas[0], summary.prefix_cache.replicas[1]})
    EXPECT_EQ(s.lookups + s.queried_tokens + s.hit_tokens + s.queried_blocks + s.hit_blocks + s.evictions, 0);
  const auto& cached = summary.request_metric("num_cached_prompt_tokens");
  EXPECT_EQ(cached.count, 12);
  EXPECT_EQ(cached.max, 0.0);

  std::ostringstream json;
  io::write_summary_json(sim, summary, json);
  EXPECT_TRUE(has(json.str(), "\"prefix_cache\": {\n    \"enabled\": false,\n    \"lookups\": 0,")) << json.str();
  EXPECT_TRUE(has(json.str(), "\"token_hit_rate\": 0,"));
  EXPECT_TRUE(has(json.str(), "\"num_cached_prompt_tokens\": {"));

  std::ostringstream table;
  io::print_summary_table(sim, summary, table);
  EXPECT_FALSE(has(table.str(), "prefix cache"));  // nothing to say without one

  std::ostringstream csv;
  io::write_request_metrics_csv(sim, csv);
  const auto rows = lines_of(csv.str());
  ASSERT_EQ(rows.size(), 13u);
  const size_t column = column_of(rows[0], "num_cached_prompt_tokens");
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(field_of(rows[i], column), "0") << rows[i];
}

TEST(PrefixMetrics, SummaryJsonAndTheTextSummaryCarryTheCounters) {
  const auto setup = prepare_simulation(small_run(), test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  auto summary = summarize(sim);
  // Counters as a prefix-caching run would leave them.
  PrefixCacheStats first{2, 200, 96, 12, 6, 1}, second{1, 100, 24, 6, 1, 3};
  summary.prefix_cache.enabled = true;
  summary.prefix_cache.replicas = {first, second};
  summary.prefix_cache.total = {3, 300, 120, 18, 7, 4};

  std::ostringstream json;
  io::write_summary_json(sim, summary, json);
  const std::string text = json.str();
  EXPECT_TRUE(has(text,
                  "\"prefix_cache\": {\n    \"enabled\": true,\n    \"lookups\": 3,\n    \"queried_tokens\": 300,\n"
                  "    \"hit_tokens\": 120,\n    \"token_hit_rate\": 0.4,\n    \"queried_blocks\": 18,\n"
                  "    \"hit_blocks\": 7,\n    \"block_hit_rate\": 0.3888888888888889,\n    \"evictions\": 4,\n"
                  "    \"replicas\": [\n      {\n        \"replica\": 0,\n        \"lookups\": 2,"))
      << text;
  EXPECT_TRUE(has(text,
                  "\"replica\": 1,\n        \"lookups\": 1,\n        \"queried_tokens\": 100,\n        "
                  "\"hit_tokens\": 24,\n        \"token_hit_rate\": 0.24,"))
      << text;

  std::ostringstream table;
  io::print_summary_table(sim, summary, table);
  EXPECT_TRUE(has(table.str(),
                  "prefix cache: 3 lookups, 40.0% of queried tokens hit (120 of 300), 38.9% of blocks, 4 evictions\n"))
      << table.str();
}

namespace {

// Serves one request at a time, as if the first two KV blocks of every even-numbered request's
// prompt were found cached at its admission: its prefill starts after them.
class TwoCachedBlocksScheduler : public ReplicaScheduler {
 public:
  using ReplicaScheduler::ReplicaScheduler;
  void on_batch_end(const Batch& batch) override { release_completed(batch, running_); }

 protected:
  BatchDraft next_batch() override {
    BatchDraft batch;
    if (running_.empty() && !queue_.empty()) {
      const RequestId id = queue_.front();
      queue_.pop_front();
      running_.push_back(id);
      blocks_.allocate(id, max_blocks_per_sequence_);
      take_cached_prefix(id, {id % 2 == 0 ? 2 : 0, 0});
    }
    if (!running_.empty()) {
      const RequestId id = running_.front();
      running_.pop_front();
      const Request& r = request(id);
      batch.add(id, r.is_prefill_complete ? 1 : r.num_prefill_tokens - r.num_processed_tokens);
    }
    return batch;
  }

 private:
  std::deque<RequestId> running_;
};

}  // namespace

TEST(PrefixMetrics, CachedPromptTokensOfEachRequestReachTheOutputs) {
  auto registry = make_replica_scheduler_registry();
  ReplicaSchedulerTraits traits;
  traits.pipeline_parallel = false;
  registry.add(
      "two_cached_blocks",
      [](const ReplicaSchedulerContext& c) { return std::make_unique<TwoCachedBlocksScheduler>(c); }, traits);
  const auto setup = prepare_simulation(small_run("two_cached_blocks"), test_support::catalog(), registry);
  const auto predictor = test_support::make_predictor(setup);
  Simulation sim(setup, predictor);
  sim.run();
  for (const auto& r : sim.requests()) {
    ASSERT_TRUE(r.completed) << r.id;
    EXPECT_EQ(r.num_cached_prompt_tokens, r.id % 2 == 0 ? 32 : 0) << r.id;
  }
  // The cached tokens were never outstanding work.
  for (int32_t rep = 0; rep < 2; ++rep) EXPECT_EQ(sim.replica_scheduler(rep).outstanding_tokens(), 0);
  const auto summary = summarize(sim);
  const auto& cached = summary.request_metric("num_cached_prompt_tokens");
  EXPECT_EQ(cached.count, 12);
  EXPECT_DOUBLE_EQ(cached.mean, 16.0);
  EXPECT_EQ(cached.max, 32.0);

  std::ostringstream csv;
  io::write_request_metrics_csv(sim, csv);
  const auto rows = lines_of(csv.str());
  ASSERT_EQ(rows.size(), 13u);
  const size_t column = column_of(rows[0], "num_cached_prompt_tokens");
  for (size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(field_of(rows[i], column), (i - 1) % 2 == 0 ? "32" : "0") << rows[i];
}
