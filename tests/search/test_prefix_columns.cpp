// The prefix-cache columns of result and probe rows (capacity.csv, probes.csv, capacity.json and
// the sweep file): declared once, filled from the probe's record.
#include <gtest/gtest.h>

#include <cmath>

#include "infersweep/search/probe_runner.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/table/column_table.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::search;

namespace {

ProbeRecord probe_with_prefix_counters() {
  ProbeRecord p;
  p.qps = 2;
  p.passed = true;
  p.prefix_lookups = 40;
  p.prefix_hit_rate_tokens = 0.625;
  p.prefix_hit_rate_blocks = 0.5;
  p.prefix_evictions = 7;
  return p;
}

}  // namespace

TEST(PrefixColumns, AreDeclaredInResultAndProbeRowsWithTheirKinds) {
  for (const auto* schema : {&result_columns(), &probe_columns()}) {
    const table::ColumnTable t(*schema);
    EXPECT_EQ(t.schema()[t.column_index("prefix_lookups")].kind, table::ColumnKind::int64);
    EXPECT_EQ(t.schema()[t.column_index("prefix_hit_rate_tokens")].kind, table::ColumnKind::float64);
    EXPECT_EQ(t.schema()[t.column_index("prefix_hit_rate_blocks")].kind, table::ColumnKind::float64);
    EXPECT_EQ(t.schema()[t.column_index("prefix_evictions")].kind, table::ColumnKind::int64);
    EXPECT_EQ(t.schema()[t.column_index("prefix_evictions")].units, "blocks");
  }
}

TEST(PrefixColumns, CarryTheProbeAtCapacityAndNothingWithoutOne) {
  SearchUnit unit;
  unit.config_id = "0123456789abcdef";
  ConfigResult ok;
  ok.status = ConfigStatus::ok;
  ok.outcome.probes = {ProbeRecord{}, probe_with_prefix_counters()};
  ok.outcome.best_probe = 1;
  ConfigResult failed;
  failed.status = ConfigStatus::failed;

  table::ColumnTable results(result_columns());
  results.append(result_fields(unit, ok));
  results.append(result_fields(unit, failed));
  EXPECT_EQ(results.int64("prefix_lookups"), (std::vector<int64_t>{40, 0}));
  EXPECT_EQ(results.float64("prefix_hit_rate_tokens")[0], 0.625);
  EXPECT_EQ(results.float64("prefix_hit_rate_blocks")[0], 0.5);
  EXPECT_EQ(results.int64("prefix_evictions"), (std::vector<int64_t>{7, 0}));
  EXPECT_TRUE(std::isnan(results.float64("prefix_hit_rate_tokens")[1]));
  EXPECT_TRUE(std::isnan(results.float64("prefix_hit_rate_blocks")[1]));

  table::ColumnTable probes(probe_columns());
  probes.append(probe_fields(unit, 0, ok.outcome.probes[0]));
  probes.append(probe_fields(unit, 1, ok.outcome.probes[1]));
  EXPECT_EQ(probes.int64("prefix_lookups"), (std::vector<int64_t>{0, 40}));
  EXPECT_EQ(probes.float64("prefix_hit_rate_tokens"), (std::vector<double>{0, 0.625}));
  EXPECT_EQ(probes.float64("prefix_hit_rate_blocks"), (std::vector<double>{0, 0.5}));
  EXPECT_EQ(probes.int64("prefix_evictions"), (std::vector<int64_t>{0, 7}));
}

TEST(PrefixColumns, AProbeWithoutPrefixCachingMeasuresNoLookupsAndZeroRates) {
  sim::SimulationConfig c;
  c.scheduler.replica_scheduler = "vllm";
  c.num_replicas = 2;
  c.workload.num_requests = 10;
  c.workload.fixed_prefill_tokens = 100;
  c.workload.fixed_decode_tokens = 4;
  const auto setup = sim::prepare_simulation(c, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  sim::Simulation s(setup, predictor);
  s.run();
  const auto p = measure_probe(s, 0.99);
  EXPECT_EQ(p.num_completed, 10);
  EXPECT_EQ(p.prefix_lookups, 0);
  EXPECT_EQ(p.prefix_hit_rate_tokens, 0.0);
  EXPECT_EQ(p.prefix_hit_rate_blocks, 0.0);
  EXPECT_EQ(p.prefix_evictions, 0);
}
