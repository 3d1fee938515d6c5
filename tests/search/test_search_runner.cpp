#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/search/probe_runner.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/search/search_runner.hpp"
#include "search_test_support.hpp"

using namespace infersweep;

namespace {

// Every deterministic field of every result and probe, as text (wall time left out).
std::string fingerprint(const std::vector<search::SearchUnit>& units,
                        const std::vector<search::ConfigResult>& results) {
  std::ostringstream out;
  for (size_t i = 0; i < units.size(); ++i) {
    for (const auto& f : search::result_fields(units[i], results[i]))
      if (f.name != "wall_s") out << f.name << "=" << table::field_text(f) << ";";
    out << "\n";
    for (size_t k = 0; k < results[i].outcome.probes.size(); ++k) {
      for (const auto& f : search::probe_fields(units[i], static_cast<int64_t>(k), results[i].outcome.probes[k]))
        out << f.name << "=" << table::field_text(f) << ";";
      out << "\n";
    }
  }
  return out.str();
}

std::vector<search::ConfigResult> run(const std::vector<search::SearchUnit>& units, int threads) {
  search::PredictorPool pool;
  search::SearchRunOptions options;
  options.threads = threads;
  return search::run_searches(units, test_support::catalog(), pool, options);
}

}  // namespace

TEST(SearchRunner, SameResultsWithOneAndTwoThreads) {
  const auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  const auto one = run(units, 1);
  const auto two = run(units, 2);
  for (const auto& r : one) {
    EXPECT_EQ(r.status, search::ConfigStatus::ok) << r.message;
    EXPECT_GT(r.outcome.capacity_qps, 0);
    EXPECT_GT(r.outcome.probes.size(), 2u);
  }
  EXPECT_EQ(fingerprint(units, one), fingerprint(units, two));
}

TEST(SearchRunner, AThrowingConfigBecomesAFailedRowAndTheRestComplete) {
  auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  units[2].simulation.workload.length_trace_file = "/nonexistent/trace.csv";  // its search cannot read the trace
  const auto results = run(units, 2);
  for (size_t i = 0; i < results.size(); ++i) {
    if (i == 2) {
      EXPECT_EQ(results[i].status, search::ConfigStatus::failed);
      EXPECT_NE(results[i].message.find("/nonexistent/trace.csv"), std::string::npos) << results[i].message;
      EXPECT_TRUE(results[i].outcome.probes.empty());
      const auto fields = search::result_fields(units[i], results[i]);
      EXPECT_EQ(table::field_text(fields[2]), "failed");
    } else {
      EXPECT_EQ(results[i].status, search::ConfigStatus::ok) << results[i].message;
      EXPECT_GT(results[i].outcome.capacity_qps, 0);
    }
  }
}

TEST(SearchRunner, SkippedUnitsAreReportedNotRun) {
  auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  units[1].skip_reason = "excluded for the test";
  const auto results = run(units, 2);
  EXPECT_EQ(results[1].status, search::ConfigStatus::skipped);
  EXPECT_EQ(results[1].message, "excluded for the test");
  EXPECT_TRUE(results[1].outcome.probes.empty());
  for (const auto& f : search::result_fields(units[1], results[1])) {
    if (f.name == "capacity_qps" || f.name == "qps_per_dollar") {
      EXPECT_EQ(table::field_text(f), "") << f.name;
    }
  }
}

TEST(SearchRunner, EarlyStopNeverChangesAVerdict) {
  auto units = search::enumerate_grid(test_support::small_grid("", 1000), test_support::catalog());
  auto full = units[0];
  full.settings.early_stop = false;
  const auto setup = sim::plan_simulation(units[0].simulation, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  int stopped = 0;
  for (const double qps : {2.0, 8.0, 14.0, 16.0, 18.0, 20.0, 30.0, 60.0}) {
    auto early = search::run_probe(units[0], qps, test_support::catalog(), predictor);
    auto whole = search::run_probe(full, qps, test_support::catalog(), predictor);
    search::judge_probe(early, units[0].settings.slo);
    search::judge_probe(whole, full.settings.slo);
    EXPECT_EQ(early.passed, whole.passed) << "qps " << qps;
    EXPECT_FALSE(whole.stopped_early);
    if (early.stopped_early) {
      ++stopped;
      EXPECT_FALSE(early.passed);
      EXPECT_LT(early.simulated_s, whole.simulated_s);
    } else {
      EXPECT_EQ(early.scheduling_delay_at_slo_quantile, whole.scheduling_delay_at_slo_quantile);
    }
  }
  EXPECT_GT(stopped, 0);  // the overloaded probes did stop early
}

TEST(SearchRunner, TimeLimitedProbeCountsWaitingRequestsAtTheirWaitSoFar) {
  auto units = search::enumerate_grid(test_support::small_grid("search:\n  time_limit: 20\n  early_stop: false\n"),
                                      test_support::catalog());
  const auto setup = sim::plan_simulation(units[0].simulation, test_support::catalog());
  const auto predictor = test_support::make_predictor(setup);
  // Far past capacity: by t = 20 s most arrived requests are still queued.
  const auto p = search::run_probe(units[0], 200, test_support::catalog(), predictor);
  EXPECT_TRUE(p.hit_time_limit);
  EXPECT_LT(p.num_completed, p.num_arrived);
  EXPECT_GT(p.num_arrived, 300);
  EXPECT_GT(p.scheduling_delay_at_slo_quantile, 5.0);
  EXPECT_LE(p.scheduling_delay_at_slo_quantile, p.simulated_s);
}

// OMP_NUM_THREADS=100000 once made the OpenMP runtime crash inside the parallel region.
TEST(SearchRunner, AnOpenMpDefaultBeyondTheProcessorsIsReducedWithANote) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(100000);
  std::ostringstream note;
  EXPECT_EQ(search::thread_count(0, &note), omp_get_num_procs());
  EXPECT_NE(note.str().find("asks for 100000 threads"), std::string::npos) << note.str();
  auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  units.resize(1);
  const auto results = run(units, 0);
  omp_set_num_threads(before);
  EXPECT_EQ(results[0].status, search::ConfigStatus::ok) << results[0].message;
  EXPECT_EQ(search::thread_count(3, &note), 3);  // an explicit request is honoured
}

TEST(SearchRunner, AGridWhoseLargestRunsCannotFitSideBySideIsRefusedNamingTheConfig) {
  auto units = search::enumerate_grid(test_support::small_grid("", 400), test_support::catalog());
  const int64_t gigabyte = 1'000'000'000;
  EXPECT_NO_THROW(search::check_grid_memory(units, 2, gigabyte));
  units[3].simulation.workload.num_requests = 10'000'000;  // 4.8 GB per run
  try {
    search::check_grid_memory(units, 2, 8 * gigabyte);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find("config " + units[3].config_id), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("for 2 runs at once"), std::string::npos) << e.message();
  }
  EXPECT_NO_THROW(search::check_grid_memory(units, 1, 8 * gigabyte));
}

TEST(SearchRunner, AGridAskingForMoreTokensThanTheModelHasPositionsSkipsThoseConfigsSayingWhy) {
  auto grid_text = test_support::small_grid_text();
  const auto at = grid_text.find("max_seq_len: 4096");
  ASSERT_NE(at, std::string::npos) << grid_text;
  grid_text.replace(at, 17, "max_seq_len: 8192");
  const auto units =
      search::enumerate_grid(search::parse_grid_text(grid_text, "grid.yaml", "."), test_support::catalog());
  ASSERT_FALSE(units.empty());
  for (const auto& u : units) {
    EXPECT_FALSE(u.runnable());
    EXPECT_NE(u.skip_reason.find("4096 positions (max_position_embeddings)"), std::string::npos) << u.skip_reason;
  }
}

TEST(SearchRunner, AProbeOfAFewRequestsThatDrainAsABurstIsMarkedWorkloadBound) {
  // 8 requests arrive within well under the 5 s delay SLO at any capacity worth the name.
  auto units = search::enumerate_grid(test_support::small_grid("", 8), test_support::catalog());
  units.resize(2);
  const auto results = run(units, 2);
  for (size_t i = 0; i < units.size(); ++i) {
    ASSERT_EQ(results[i].status, search::ConfigStatus::ok) << results[i].message;
    EXPECT_EQ(results[i].outcome.caveat, search::CapacityCaveat::workload_bound) << results[i].outcome.capacity_qps;
    const auto fields = search::result_fields(units[i], results[i]);
    const auto caveat =
        std::find_if(fields.begin(), fields.end(), [](const auto& f) { return f.name == "capacity_caveat"; });
    ASSERT_NE(caveat, fields.end());
    EXPECT_EQ(table::field_text(*caveat), "workload_bound");
  }
  // As many requests as the shipped quick grid's: long enough for the deployment to bound it.
  auto long_units = search::enumerate_grid(test_support::small_grid("", 2000), test_support::catalog());
  long_units.resize(2);
  const auto normal = run(long_units, 2);
  for (const auto& r : normal) EXPECT_EQ(r.outcome.caveat, search::CapacityCaveat::none) << r.config_id;
}

TEST(SearchRunner, ThePilotStrategyFindsVidursCapacityWithinTheGranularityInFewerProbes) {
  const auto units = search::enumerate_grid(test_support::small_grid("", 2000), test_support::catalog());
  auto vidur_units = units;
  for (auto& u : vidur_units) u.settings.strategy = "vidur";
  const auto pilot = run(units, 2);
  const auto vidur = run(vidur_units, 2);
  size_t pilot_probes = 0, vidur_probes = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    ASSERT_EQ(pilot[i].status, search::ConfigStatus::ok) << pilot[i].message;
    ASSERT_EQ(vidur[i].status, search::ConfigStatus::ok) << vidur[i].message;
    const double capacity = vidur[i].outcome.capacity_qps;
    ASSERT_GT(capacity, 0);
    SCOPED_TRACE(units[i].config_id + ": vidur " + std::to_string(capacity) + ", pilot " +
                 std::to_string(pilot[i].outcome.capacity_qps) + " from " + std::to_string(pilot[i].outcome.pilot_qps));
    // With verdicts monotone in QPS both end within 2.5 % below the same boundary.
    const double found = pilot[i].outcome.capacity_qps;
    EXPECT_LE(std::max(found, capacity) / std::min(found, capacity), 1 / 0.975);
    // The pilot run's rate is near the capacity, so every probe is.
    EXPECT_NEAR(pilot[i].outcome.pilot_qps / capacity, 1, 0.1);
    EXPECT_EQ(vidur[i].outcome.pilot_qps, 0);
    EXPECT_GT(pilot[i].outcome.pilot_qps, 0);
    pilot_probes += pilot[i].outcome.probes.size();
    vidur_probes += vidur[i].outcome.probes.size();
  }
  EXPECT_LT(pilot_probes, vidur_probes);
}

TEST(SearchRunner, APilotThatCompletesTooFewRequestsLeavesTheSearchToStartQps) {
  // A 2 s time limit ends the pilot (400 requests waiting at once) before 8 of them complete.
  auto units = search::enumerate_grid(test_support::small_grid("search:\n  time_limit: 2\n"), test_support::catalog());
  const search::ProbeRunner probes(units[0], test_support::catalog());
  const auto predictor = test_support::make_predictor(probes.plan());
  EXPECT_EQ(probes.saturated_qps(units[0].settings.pilot_requests, predictor), 0);
  search::PredictorPool pool;
  const auto r = search::run_unit_search(units[0], test_support::catalog(), pool);
  ASSERT_EQ(r.status, search::ConfigStatus::ok) << r.message;
  EXPECT_EQ(r.outcome.pilot_qps, 0);
  ASSERT_FALSE(r.outcome.probes.empty());
  EXPECT_DOUBLE_EQ(r.outcome.probes[0].qps, units[0].labels.start_qps);
  // Without the limit the pilot measures a rate, over no more requests than a probe simulates.
  units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  const search::ProbeRunner unlimited(units[0], test_support::catalog());
  EXPECT_GT(unlimited.saturated_qps(400, predictor), 0);
  EXPECT_EQ(unlimited.saturated_qps(400, predictor), unlimited.saturated_qps(4096, predictor));  // 400 at most
}

TEST(SearchRunner, APilotRunsOneReplicaOfAColocatedDeploymentWithEveryPilotRequest) {
  const auto units = search::enumerate_grid(test_support::small_grid(), test_support::catalog());
  int checked = 0;
  for (const auto& unit : units) {
    const int64_t replicas = unit.simulation.num_replicas;
    if (replicas < 2) continue;
    SCOPED_TRACE(unit.config_id + ": " + std::to_string(replicas) + " replicas");
    auto one = unit;
    one.simulation.num_replicas = 1;
    const search::ProbeRunner whole(unit, test_support::catalog()), single(one, test_support::catalog());
    const auto predictor = test_support::make_predictor(whole.plan());
    const double rate = single.saturated_qps(400, predictor);
    ASSERT_GT(rate, 0);
    // Alike replicas sharing the arrivals evenly: the deployment's rate is theirs summed.
    EXPECT_DOUBLE_EQ(whole.saturated_qps(400, predictor), static_cast<double>(replicas) * rate);
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

// The learned predictors of one model, GPU and TP (here PP 1 and 2) learn from the same rows:
// the pool selects each operator's model once for all of them, in whatever order the threads
// build them, and the searches come out the same.
TEST(SearchRunner, PredictorsOfOneModelGpuAndTpShareTheirModelSelections) {
  auto text = test_support::small_grid_text();
  const std::string roofline = "  name: roofline\n";
  text.replace(text.find(roofline), roofline.size(),
               "  name: learned\n  cache_dir: none\n  predictor_k_folds: 3\n  prediction_max_tokens_per_request: 512\n"
               "  prediction_max_batch_size: 16\n  prediction_max_prefill_chunk_size: 512\n");
  text.replace(text.find("tp_dimensions: [1, 2]"), 21, "tp_dimensions: [1]");
  const auto units =
      search::enumerate_grid(search::parse_grid_text(text, "learned.yaml", "."), test_support::catalog());
  std::string fingerprints[2];
  for (int threads : {1, 2}) {
    search::PredictorPool pool;
    search::SearchRunOptions options;
    options.threads = threads;
    const auto results = search::run_searches(units, test_support::catalog(), pool, options);
    for (const auto& r : results) EXPECT_EQ(r.status, search::ConfigStatus::ok) << r.message;
    EXPECT_EQ(pool.size(), 2u);  // PP 1 and PP 2
    const auto& shared = pool.selections();
    EXPECT_GT(shared.distinct(), 0u);
    // PP 2 adds send/recv; every other operator's selection is the PP 1 predictor's.
    EXPECT_EQ(shared.requests(), 2 * static_cast<int64_t>(shared.distinct()) - 1) << threads << " threads";
    fingerprints[threads - 1] = fingerprint(units, results);
    // The progress line counts this run's selections; a second run on the same pool (a sweep's
    // next bundle) builds and selects nothing, and says nothing of it.
    std::ostringstream said;
    options.progress = &said;
    search::run_searches(units, test_support::catalog(), pool, options);
    EXPECT_EQ(said.str().find("predictors ready"), std::string::npos) << said.str();
  }
  EXPECT_EQ(fingerprints[0], fingerprints[1]);
  // A first run says how many selections it made, for how many operators.
  search::PredictorPool pool;
  search::SearchRunOptions options;
  std::ostringstream said;
  options.progress = &said;
  search::run_searches(units, test_support::catalog(), pool, options);
  const auto& shared = pool.selections();
  EXPECT_NE(said.str().find("; " + std::to_string(shared.distinct()) + " operator models selected for " +
                            std::to_string(shared.requests()) + " operators"),
            std::string::npos)
      << said.str();
}
