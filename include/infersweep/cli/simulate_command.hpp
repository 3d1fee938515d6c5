#pragma once
#include <string>
#include <vector>

#include "infersweep/config/setting.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::cli {

// What the simulate command reads besides the simulation and where it writes.
struct SimulateOutputs {
  std::string data_dir;
  std::string output_dir = "infersweep_output";
  bool quiet = false;
};
const config::SettingGroup<SimulateOutputs>& simulate_output_settings();

struct SimulateOptions {
  sim::SimulationConfig config;
  SimulateOutputs outputs;
  bool node_given = false;  // else the GPU's default node, resolved once the specs are read
  bool help = false;
  std::string help_text;
};

// Parses `simulate` arguments (argv without the program and subcommand names), merging a
// --config file under the command line. Throws InputError on any bad option.
SimulateOptions parse_simulate_options(const std::vector<std::string>& args);

// Runs `infersweep simulate`; returns the process exit code.
int run_simulate(const std::vector<std::string>& args);

}  // namespace infersweep::cli
