#pragma once
// The `infersweep simulate` command as the benchmarks run it: a SimulationConfig rendered as its
// command line, and one run of the real binary as a child process, timed from fork to exit,
// with its own peak RSS.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::bench {

// `--name=value` for every command-line setting whose value differs from SimulationConfig's
// default, and for any other the command would derive differently (the node from the GPU, a
// scheduler's implied settings). Throws std::runtime_error when the command would still read
// the arguments as another configuration (their canonical texts differ).
std::vector<std::string> simulate_arguments(const sim::SimulationConfig& config);

struct SimulateRun {
  double wall_s = 0;
  double max_rss_mb = 0;  // the child's own peak (wait4), not the largest child's so far
  int64_t events = 0;     // from "simulated N events in X s wall time"
  double event_loop_s = 0;
};

// Runs `binary simulate <args> --output-dir <a fresh temporary directory>`. `inspect`, when
// given, sees the output directory before it is removed. Throws std::runtime_error, with the
// child's stderr, when it fails or prints no event count.
SimulateRun run_simulate_cli(const std::string& binary, const std::vector<std::string>& args,
                             const std::function<void(const std::string& output_dir)>& inspect = {});

// A fresh directory under the system's temporary directory, removed at scope exit.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
};

// "a b 'c d'": an argument list as a shell would take it, for printing.
std::string shell_words(const std::vector<std::string>& args);

}  // namespace infersweep::bench
