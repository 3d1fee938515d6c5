#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "infersweep/common/error.hpp"
#include "infersweep/search/deployment_cost.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/search/search_runner.hpp"
#include "search_test_support.hpp"

using namespace infersweep;

namespace {

// Llama-2-7B on 4 A100s co-located (the small grid) and on a budget of 4 shared by two pools.
const std::string kSection =
    "disaggregated:\n"                     // line 22
    "  - device: a100\n"                   // 23
    "    num_gpus: 4\n"                    // 24
    "    pd_ratios: [\"1:1\", \"1:3\"]\n"  // 25
    "    prefill_tp: [1]\n"                // 26
    "    decode_tp: [1, 2]\n"              // 27
    "    kv_transfer: layerwise\n";        // 28

std::string error_of(const std::string& text) {
  return test_support::input_error_of([&] { search::parse_grid_text(text, "g.yaml", "."); });
}

testing::AssertionResult starts_with(const std::string& text, const std::string& prefix) {
  if (text.rfind(prefix, 0) == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not start with '" << prefix << "'";
}

std::string with_section(const std::string& from, const std::string& to) {
  auto text = kSection;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return test_support::small_grid_text(text.replace(at, from.size(), to));
}

std::vector<search::SearchUnit> units_of(const std::string& extra) {
  return search::enumerate_grid(test_support::small_grid(extra), test_support::catalog());
}

}  // namespace

TEST(DisaggregatedGrid, ReadsTheSectionWithItsAxesAndSettings) {
  const auto g = test_support::small_grid(kSection);
  ASSERT_EQ(g.disaggregated.size(), 1u);
  const auto& e = g.disaggregated[0];
  EXPECT_EQ(e.device, "a100");
  EXPECT_EQ(e.node, "a100_pairwise_nvlink");
  EXPECT_EQ(e.num_gpus, 4);
  ASSERT_EQ(e.pd_ratios.size(), 2u);
  EXPECT_EQ(e.pd_ratios[1].prefill, 1);
  EXPECT_EQ(e.pd_ratios[1].decode, 3);
  EXPECT_EQ(e.pd_ratios[1].text(), "1:3");
  EXPECT_EQ(e.prefill_tp, (std::vector<int64_t>{1}));
  EXPECT_EQ(e.prefill_pp, (std::vector<int64_t>{1}));  // default
  EXPECT_EQ(e.decode_tp, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(e.values.kv_transfer, "layerwise");
  EXPECT_EQ(e.values.decode_router, "least_kv");  // the setting's declared default
  EXPECT_EQ(e.line, 23);
}

TEST(DisaggregatedGrid, ClustersMayBeLeftOutWhenTheGridHasDisaggregatedEntries) {
  auto text = test_support::small_grid_text(kSection);
  const std::string clusters = "clusters:\n  - device: a100\n    num_gpus: 4\n";
  text.replace(text.find(clusters), clusters.size(), "");
  const auto g = search::parse_grid_text(text, "g.yaml", ".");
  EXPECT_TRUE(g.clusters.empty());
  EXPECT_EQ(g.disaggregated.size(), 1u);
  // Neither of them: the clusters are still required.
  const auto section = text.find("disaggregated:");
  EXPECT_TRUE(starts_with(error_of(text.substr(0, section)), "g.yaml:1: clusters: missing (required): a l"));
}

TEST(DisaggregatedGrid, BadEntriesAreErrorsNamingTheLineAndKey) {
  EXPECT_EQ(error_of(with_section("    kv_transfer: layerwise\n", "    kv_transfer: sideways\n")),
            "g.yaml:28: disaggregated.kv_transfer: unknown value 'sideways' (expected one of: whole, layerwise, none)");
  EXPECT_EQ(error_of(with_section("[\"1:1\", \"1:3\"]", "[\"1:1\", \"1-3\"]")),
            "g.yaml:25: disaggregated.pd_ratios: expected a prefill:decode replica ratio of positive integers such "
            "as \"1:2\", got '1-3'");
  EXPECT_TRUE(starts_with(
      error_of(with_section("[\"1:1\", \"1:3\"]", "[\"0:1\"]")),
      "g.yaml:25: disaggregated.pd_ratios: expected a prefill:decode replica ratio of positive integers such "
      "a"));
  EXPECT_EQ(error_of(with_section("[\"1:1\", \"1:3\"]", "[\"1:1\", \"1:1\"]")),
            "g.yaml:25: disaggregated.pd_ratios: lists 1:1 twice");
  EXPECT_EQ(error_of(with_section("    decode_tp: [1, 2]\n", "    decode_tp: [0]\n")),
            "g.yaml:27: disaggregated.decode_tp: must be at least 1, got 0");
  EXPECT_EQ(error_of(with_section("    decode_tp: [1, 2]\n", "")),
            "g.yaml:23: disaggregated.decode_tp: missing (required): a list such as [1, 2]");
  EXPECT_TRUE(starts_with(error_of(with_section("    num_gpus: 4\n", "    num_gpus: 4\n    decode_gpus: 4\n")),
                          "g.yaml:25: disaggregated.decode_gpus: unknown key (expected one"));
  // The decode pool's replica count is the ratio's business, not a key.
  EXPECT_TRUE(starts_with(error_of(with_section("    num_gpus: 4\n", "    num_gpus: 4\n    decode_replicas: 2\n")),
                          "g.yaml:25: disaggregated.decode_replicas: unknown key (expected one "));
  EXPECT_TRUE(starts_with(error_of(with_section("    num_gpus: 4\n", "    num_gpus: 4\n    decode_router: nearest\n")),
                          "g.yaml:25: disaggregated.decode_router: unknown global scheduler 'nearest' (ex"));
  EXPECT_TRUE(starts_with(error_of(with_section("    num_gpus: 4\n", "    num_gpus: 4\n    decode_scheduler: orca\n")),
                          "g.yaml:25: disaggregated.decode_scheduler: 'orca' cannot take prefilled requests "));
}

TEST(DisaggregatedGrid, AnUnknownDecodeGpuIsAGridErrorWithTheEntrysLine) {
  const auto grid = test_support::small_grid(kSection + "    decode_gpu: z900\n");
  try {
    search::enumerate_grid(grid, test_support::catalog());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_TRUE(starts_with(std::string(e.what()), "small.yaml:23: disaggregated.decode_gpu")) << e.what();
  }
}

TEST(DisaggregatedGrid, ReplicasAreTheLargestMultipleOfTheRatioThatFitsTheBudget) {
  using search::disaggregated_replicas;
  using Counts = std::pair<int64_t, int64_t>;
  auto counts = [](search::PoolReplicas r) { return Counts{r.prefill, r.decode}; };
  EXPECT_EQ(counts(disaggregated_replicas(16, {1, 1}, 4, 4)), Counts(2, 2));
  EXPECT_EQ(counts(disaggregated_replicas(16, {1, 2}, 4, 4)), Counts(1, 2));  // 12 of 16
  EXPECT_EQ(counts(disaggregated_replicas(16, {2, 1}, 4, 8)), Counts(2, 1));
  EXPECT_EQ(counts(disaggregated_replicas(32, {1, 3}, 2, 2)), Counts(4, 12));
  EXPECT_EQ(counts(disaggregated_replicas(16, {1, 3}, 4, 8)), Counts(0, 0));  // 28 > 16
}

TEST(DisaggregatedGrid, AMixedGridEnumeratesBothShapesWithDistinctStableIds) {
  const auto units = units_of(kSection);
  // Co-located: 2 schedulers x TP {1,2} x PP {1,2}; disaggregated: 2 schedulers x 2 ratios x 2 decode TPs.
  ASSERT_EQ(units.size(), 8u + 8u);
  std::set<std::string> ids;
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(units[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(units[i].labels.disaggregated, i >= 8) << i;
    ids.insert(units[i].config_id);
  }
  EXPECT_EQ(ids.size(), units.size());
  const auto again = units_of(kSection);
  for (size_t i = 0; i < units.size(); ++i) EXPECT_EQ(again[i].config_id, units[i].config_id);
  // A co-located config keeps its id when a disaggregated section joins the grid.
  const auto colocated = units_of("");
  for (size_t i = 0; i < colocated.size(); ++i) EXPECT_EQ(colocated[i].config_id, units[i].config_id);

  // vllm, 1:1, decode TP 1: 4 GPUs make two replicas of each pool.
  const auto& u = units[8];
  EXPECT_EQ(u.labels.scheduler, "vllm P2:D2 tp1/tp1 kv:layerwise");
  EXPECT_EQ(u.labels.pd_ratio, "1:1");
  EXPECT_EQ(u.labels.replicas, 2);
  EXPECT_EQ(u.labels.decode_replicas, 2);
  EXPECT_EQ(u.labels.decode_device, "a100");
  EXPECT_EQ(u.labels.decode_node, "a100_pairwise_nvlink");
  EXPECT_EQ(u.labels.gpus(), 4);
  EXPECT_EQ(u.simulation.num_replicas, 2);
  EXPECT_EQ(u.simulation.disaggregation.decode_replicas, 2);
  EXPECT_EQ(u.simulation.disaggregation.decode_tp, 1);
  EXPECT_EQ(u.simulation.disaggregation.kv_transfer, "layerwise");
  EXPECT_TRUE(u.runnable()) << u.skip_reason;
  // 1:1 with decode TP 2: one replica each, 3 of the 4 GPUs.
  EXPECT_EQ(units[9].labels.scheduler, "vllm P1:D1 tp1/tp2 kv:layerwise");
  EXPECT_EQ(units[9].labels.gpus(), 3);
  // 1:3 with decode TP 2 takes 7 GPUs: skipped, saying so.
  EXPECT_EQ(units[11].skip_reason,
            "no replica: P:D 1:3 takes at least 1 x 1 + 2 x 3 GPUs, more than the 4 of the budget");
}

TEST(DisaggregatedGrid, ASchedulerThatTakesNoPrefilledRequestsIsSkippedOnlyWhenDisaggregated) {
  auto text = test_support::small_grid_text(kSection);
  text.replace(text.find("  - scheduler: sarathi\n    chunk_size: 512\n"), 43, "  - scheduler: orca\n");
  const auto units = search::enumerate_grid(search::parse_grid_text(text, "g.yaml", "."), test_support::catalog());
  ASSERT_EQ(units.size(), 16u);
  int colocated_orca_runnable = 0, disaggregated_orca = 0;
  for (const auto& u : units) {
    if (u.simulation.scheduler.replica_scheduler != "orca") continue;
    if (!u.labels.disaggregated) {
      colocated_orca_runnable += u.runnable() ? 1 : 0;
      continue;
    }
    ++disaggregated_orca;
    EXPECT_TRUE(starts_with(u.skip_reason,
                            "orca cannot serve a disaggregated deployment: it takes no prefilled requests (schedulers "
                            "that can: "))
        << u.labels.scheduler;
  }
  EXPECT_GT(colocated_orca_runnable, 0);
  EXPECT_EQ(disaggregated_orca, 4);
}

TEST(DisaggregatedGrid, CostCountsEachPoolsGpusAtItsOwnPrice) {
  const auto c = search::deployment_cost({{2, 4, 1, 4.0}, {1, 8, 1, 2.5}}, 12.0);
  EXPECT_EQ(c.gpus, 16);
  EXPECT_DOUBLE_EQ(c.dollars_per_hour, 8 * 4.0 + 8 * 2.5);
  EXPECT_DOUBLE_EQ(c.qps_per_dollar, 12.0 / 52.0);
  EXPECT_DOUBLE_EQ(c.capacity_per_replica, 4.0);
  EXPECT_THROW(search::deployment_cost({{2, 4, 1, 4.0}, {0, 8, 1, 2.5}}, 12.0), InputError);
  EXPECT_THROW(search::deployment_cost({{2, 4, 1, 4.0}, {1, 8, 1, 0}}, 12.0), InputError);

  // Prefill on A100s, decode on H100s, priced by the grid.
  const auto units = units_of(kSection + "    decode_gpu: h100\nprices:\n  a100: 2\n  h100: 5\n");
  const auto& u = units.at(9);  // vllm 1:1, decode TP 2: one A100 and two H100s
  ASSERT_TRUE(u.labels.disaggregated);
  EXPECT_EQ(u.labels.scheduler, "vllm P1:D1 tp1/h100:tp2 kv:layerwise");
  EXPECT_EQ(u.labels.decode_device, "h100");
  EXPECT_DOUBLE_EQ(u.price_per_gpu_hour, 2);
  EXPECT_DOUBLE_EQ(u.decode_price_per_gpu_hour, 5);
  EXPECT_NE(u.decode_price_source.find("prices.h100"), std::string::npos) << u.decode_price_source;
  EXPECT_DOUBLE_EQ(u.dollars_per_hour(), 1 * 2.0 + 2 * 5.0);
  const auto cost = search::deployment_cost(u, 6.0);
  EXPECT_DOUBLE_EQ(cost.dollars_per_hour, 12.0);
  EXPECT_DOUBLE_EQ(cost.qps_per_dollar, 0.5);

  // The result row records the shape, the decode pool and both prices.
  search::ConfigResult r;
  r.status = search::ConfigStatus::skipped;
  std::map<std::string, std::string> row;
  for (const auto& f : search::result_fields(u, r)) row[f.name] = table::field_text(f);
  EXPECT_EQ(row["shape"], "disaggregated");
  EXPECT_EQ(row["pd_ratio"], "1:1");
  EXPECT_EQ(row["decode_device"], "h100");
  EXPECT_EQ(row["decode_replicas"], "1");
  EXPECT_EQ(row["decode_tp"], "2");
  EXPECT_EQ(row["gpus"], "3");
  EXPECT_EQ(row["kv_transfer"], "layerwise");
  EXPECT_EQ(std::stod(row["dollars_per_hour"]), 12.0);
  EXPECT_EQ(std::stod(row["decode_price_per_gpu_hour"]), 5.0);
  for (const auto& f : search::result_fields(units.at(0), r)) {
    if (f.name == "shape") {
      EXPECT_EQ(table::field_text(f), "colocated");
    }
  }
}

TEST(DisaggregatedGrid, AMixedSearchRunsBothShapesAndBuildsTheDecodePoolsPredictor) {
  // Decode on H100s: a predictor of its own, built before the searches.
  const auto units = units_of(kSection + "    decode_gpu: h100\n");
  std::vector<search::SearchUnit> some{units.at(0), units.at(8), units.at(9)};
  search::PredictorPool pool;
  search::SearchRunOptions options;
  options.threads = 2;
  const auto results = search::run_searches(some, test_support::catalog(), pool, options);
  EXPECT_EQ(pool.size(), 3u);  // A100 TP1 (both), H100 TP1, H100 TP2
  for (size_t i = 0; i < some.size(); ++i) {
    ASSERT_EQ(results[i].status, search::ConfigStatus::ok) << results[i].message;
    EXPECT_GT(results[i].outcome.capacity_qps, 0);
    EXPECT_DOUBLE_EQ(results[i].cost.dollars_per_hour, some[i].dollars_per_hour());
  }
}
