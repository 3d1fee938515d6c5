// The validity rules and the simulation cannot drift apart: every config of the shipped grids
// that passes the rules completes a lone request of the maximal length on its deployment.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "infersweep/search/deployment_space.hpp"
#include "infersweep/search/grid_spec.hpp"
#include "infersweep/sim/simulation.hpp"
#include "test_support.hpp"

namespace infersweep {
namespace {

std::vector<std::string> shipped_grids() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(test_support::data_dir() + "/grids"))
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  return paths;
}

// The unit's deployment (model, GPU, TP, PP, scheduler and its settings, memory plan) on one
// replica with the roofline predictor, serving one request of `prompt` + `output` tokens.
sim::SimulationConfig lone_request(const search::SearchUnit& unit, int64_t prompt, int64_t output) {
  sim::SimulationConfig c = unit.simulation;
  c.num_replicas = 1;
  c.predictor = predict::PredictorConfig{};
  c.time_limit_s = 0;
  c.stop_after_delayed_requests = 0;
  workload::WorkloadConfig w;
  w.max_tokens = unit.simulation.workload.max_tokens;
  w.num_requests = 1;
  w.fixed_prefill_tokens = prompt;
  w.fixed_decode_tokens = output;
  c.workload = w;
  return c;
}

TEST(AdmissionRule, EveryRunnableConfigOfTheShippedGridsCompletesAMaximalRequest) {
  search::GridPaths paths;
  paths.trace_dir = test_support::vidur_data_dir() + "/processed_traces";
  std::set<std::string> simulated;
  int64_t runnable = 0, refused = 0;
  for (const auto& path : shipped_grids()) {
    const auto grid = search::read_grid_file(path, paths);
    for (const auto& unit : search::enumerate_grid(grid, test_support::catalog())) {
      if (unit.skip_reason.find("can never be admitted") != std::string::npos) ++refused;
      if (!unit.runnable()) continue;
      ++runnable;
      const int64_t m = unit.simulation.workload.max_tokens;
      for (const auto& [prompt, output] : {std::pair<int64_t, int64_t>{m - 1, 1}, {m / 2, m - m / 2}}) {
        const auto config = lone_request(unit, prompt, output);
        if (!simulated.insert(config.canonical()).second) continue;
        const auto setup = sim::prepare_simulation(config, test_support::catalog());
        const auto predictor = test_support::make_predictor(setup);
        // A disaggregated config's request is prefilled on one pool and decoded on the other.
        std::optional<predict::ExecutionTimePredictor> decode_predictor;
        if (setup.disaggregated()) decode_predictor.emplace(test_support::make_predictor(*setup.decode_pool));
        sim::Simulation simulation(setup, predictor, decode_predictor ? &*decode_predictor : nullptr);
        EXPECT_NO_THROW(simulation.run())
            << path << " " << unit.labels.model << " " << unit.labels.device << " TP" << unit.labels.tp << " PP"
            << unit.labels.pp << " " << unit.labels.scheduler << " bs" << unit.labels.batch_size << ": " << prompt
            << " + " << output << " tokens";
      }
    }
  }
  EXPECT_GT(runnable, 0);
  EXPECT_GT(refused, 0);  // the rule does skip configs of the shipped grids (Qwen-72B at TP2)
  std::cout << runnable << " runnable units, " << simulated.size() << " deployments simulated, " << refused
            << " refused by the admission rule\n";
}

}  // namespace
}  // namespace infersweep
