// docs/settings.md's reference tables are the declarations' Markdown rendering.
#include <gtest/gtest.h>

#include "generated_docs.hpp"
#include "infersweep/cli/pareto_command.hpp"
#include "infersweep/cli/simulate_command.hpp"
#include "infersweep/config/reference.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/grid_run_settings.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep {
namespace {

TEST(SettingsDocs, ReferenceTablesAreGeneratedFromTheDeclarations) {
  test_support::expect_generated_tables(
      "docs/settings.md",
      {{"simulation settings", config::markdown_reference(sim::simulation_settings(), sim::SimulationConfig{})},
       {"simulate's outputs", config::markdown_reference(cli::simulate_output_settings(), cli::SimulateOutputs{})},
       {"predictor settings",
        config::markdown_reference(predict::predictor_settings(), predict::PredictorConfig{}, true)},
       {"search settings", config::markdown_reference(search::search_settings(), search::SearchSettings{}, true)},
       {"grid-run settings", config::markdown_reference(search::grid_run_settings(), search::GridRunSettings{})},
       {"pareto settings", config::markdown_reference(cli::pareto_settings(), cli::ParetoSettings{})}},
      "tests/config/test_settings_docs.cpp");
}

}  // namespace
}  // namespace infersweep
