// Generated from the declarations: every member of every config struct is declared, and
// changing a setting changes the config id, the predictor's pool key and its cache key exactly
// when its declaration says it is part of them.
#include <gtest/gtest.h>

#include <filesystem>

#include "field_count.hpp"
#include "infersweep/cli/pareto_command.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/config/identity.hpp"
#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/search/predictor_pool.hpp"
#include "infersweep/sim/simulation_config.hpp"
#include "test_support.hpp"

namespace infersweep {
namespace {

using test_support::field_count;

TEST(SettingDeclarations, EveryMemberOfEveryConfigStructIsDeclared) {
  EXPECT_EQ(field_count<sim::SimulationConfig>(), sim::simulation_settings().fields_declared());
  EXPECT_EQ(field_count<sim::ParallelismConfig>(), sim::parallelism_settings().fields_declared());
  EXPECT_EQ(field_count<sim::SchedulerConfig>(), sim::scheduler_settings().fields_declared());
  EXPECT_EQ(field_count<workload::WorkloadConfig>(), workload::workload_settings().fields_declared());
  EXPECT_EQ(field_count<predict::PredictorConfig>(), predict::predictor_settings().fields_declared());
  EXPECT_EQ(field_count<predict::RooflineParameters>(), predict::roofline_settings().fields_declared());
  EXPECT_EQ(field_count<predict::LearnedPredictorSettings>(), predict::learned_predictor_settings().fields_declared());
  EXPECT_EQ(field_count<search::SearchSettings>(), search::search_settings().fields_declared());
  EXPECT_EQ(field_count<search::SloSettings>(), search::slo_settings().fields_declared());
  EXPECT_EQ(field_count<search::GridRunSettings>(), search::grid_run_settings().fields_declared());
  EXPECT_EQ(field_count<cli::SimulateOutputs>(), cli::simulate_output_settings().fields_declared());
  EXPECT_EQ(field_count<cli::ParetoSettings>(), cli::pareto_settings().fields_declared());
}

TEST(SettingDeclarations, NamesAndKeysAreUnique) {
  std::set<std::string> names, keys;
  for (const auto& s : sim::simulation_settings().settings()) {
    EXPECT_TRUE(names.insert(s.name()).second) << s.name();
    EXPECT_TRUE(keys.insert(s.spec().key).second) << s.spec().key;
    EXPECT_FALSE(s.spec().help.empty()) << s.name();
  }
}

// The texts each identity is made of, for one configuration.
struct Identities {
  std::string settings;   // summary.json's config text
  std::string config_id;  // what the config id hashes (without the search's own part)
  std::string pool;       // the predictor pool's key
  std::string cache;      // the settings part of the learned predictor's cache key
};

Identities identities_of(const sim::SimulationConfig& c) {
  const auto content = [](const std::string& path) { return "content of " + path; };
  return {c.canonical(), config::config_id_text(sim::simulation_settings(), c, content), sim::predictor_identity(c),
          predict::predictor_identity_text(sim::predictor_context(c, test_support::catalog()))};
}

// Other values to try for a setting: names the catalog or a registry knows where a made-up
// name could not be resolved, else the declaration's own "other value".
std::vector<std::string> other_values(const config::Setting<sim::SimulationConfig>& s,
                                      const sim::SimulationConfig& base) {
  if (s.name() == "model") return {"meta-llama/Llama-2-70b-hf"};
  if (s.name() == "gpu") return {"h100"};
  if (s.name() == "node") return {"a100_dgx"};
  if (s.name() == "replica-scheduler") return sim::builtin_replica_schedulers().names();
  return {s.other_value_text(base)};
}

bool token_grid_spans_batch(const std::string& scheduler) {
  return sim::builtin_replica_schedulers().traits("replica-scheduler", scheduler).token_grid_spans_batch;
}

TEST(SettingDeclarations, IdentitiesChangeExactlyWithTheSettingsMarkedForThem) {
  sim::SimulationConfig base;
  const auto before = identities_of(base);
  int checked = 0;
  for (const auto& s : sim::simulation_settings().settings()) {
    const auto& id = s.spec().identity;
    for (const auto& value : other_values(s, base)) {
      auto changed_config = base;
      s.assign(changed_config, value);
      if (s.equal(changed_config, base)) continue;  // the same value (e.g. the scheduler itself)
      const auto after = identities_of(changed_config);
      // A scheduler decides the predictor only through the traits it reads.
      const bool decides_predictor =
          id.in_predictor_id() ||
          (s.name() == "replica-scheduler" &&
           token_grid_spans_batch(value) != token_grid_spans_batch(base.scheduler.replica_scheduler));
      SCOPED_TRACE(s.name() + " = " + value);
      EXPECT_EQ(after.settings != before.settings, id.affects_results());
      EXPECT_EQ(after.config_id != before.config_id, id.in_config_id());
      EXPECT_EQ(after.pool != before.pool, decides_predictor);
      EXPECT_EQ(after.cache != before.cache, decides_predictor);
      ++checked;
    }
  }
  EXPECT_GE(checked, static_cast<int>(sim::simulation_settings().settings().size()));
}

TEST(SettingDeclarations, EverySearchSettingIsPartOfTheConfigId) {
  const search::SearchSettings base;
  for (const auto& s : search::search_settings().settings()) {
    auto changed = base;
    s.assign(changed, s.other_value_text(base));
    EXPECT_TRUE(s.spec().identity.in_config_id()) << s.name();
    EXPECT_NE(changed.canonical(), base.canonical()) << s.name();
  }
}

TEST(SettingDeclarations, PathsEnterTheConfigIdInTheirPortableForm) {
  sim::SimulationConfig a, b;
  a.predictor.learned.attention_file = "/home/a/attention.csv";
  b.predictor.learned.attention_file = "/data/b/attention.csv";
  a.predictor.learned.profiling_dirs = {"/home/a/profiling"};
  b.predictor.learned.profiling_dirs = {"/data/b/profiling"};
  const auto content = [](const std::string& path) { return std::filesystem::path(path).filename().string() + "#h"; };
  a.workload.length_trace_file = "/home/a/conv.csv";
  b.workload.length_trace_file = "/data/b/conv.csv";
  const auto& g = sim::simulation_settings();
  EXPECT_EQ(config::config_id_text(g, a, content), config::config_id_text(g, b, content));
  EXPECT_NE(sim::predictor_identity(a), sim::predictor_identity(b));  // other data, another predictor
  EXPECT_NE(config::config_id_text(g, a, content).find("length_trace_file = conv.csv#h\n"), std::string::npos);
  EXPECT_NE(config::config_id_text(g, a, content).find("profiling_dir = \n"), std::string::npos);
}

TEST(SettingDeclarations, TheCacheKeyHoldsThePredictorIdentity) {
  auto c = sim::SimulationConfig{};
  c.predictor.name = "learned";
  c.predictor.learned.profiling_dirs = {test_support::profiling_dir()};
  if (!std::filesystem::is_directory(test_support::profiling_dir())) GTEST_SKIP() << "no profiling data";
  const auto context = sim::predictor_context(c, test_support::catalog());
  const auto inputs = predict::resolve_learned_inputs(context);
  EXPECT_NE(inputs.settings.find(predict::predictor_identity_text(context)), std::string::npos) << inputs.settings;
}

}  // namespace
}  // namespace infersweep
