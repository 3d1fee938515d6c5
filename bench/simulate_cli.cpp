#include "simulate_cli.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "infersweep/cli/simulate_command.hpp"

namespace infersweep::bench {

namespace fs = std::filesystem;

std::vector<std::string> simulate_arguments(const sim::SimulationConfig& config) {
  const auto& settings = sim::simulation_settings().settings();
  const sim::SimulationConfig defaults;
  std::vector<std::string> args;
  const auto add = [&](const config::Setting<sim::SimulationConfig>& s) {
    // One word: a boolean option takes its value only after '='.
    args.push_back("--" + s.name() + "=" + s.text(config));
  };
  for (const auto& s : settings)
    if (s.spec().on_command_line && !s.equal(config, defaults)) add(s);
  // Settings left at their default may be derived from others by the command; name those too.
  const auto read_back = cli::parse_simulate_options(args).config;
  for (const auto& s : settings)
    if (s.spec().on_command_line && s.equal(config, defaults) && !s.equal(read_back, config)) add(s);
  const auto final_read = cli::parse_simulate_options(args).config;
  if (final_read.canonical() != config.canonical())
    throw std::runtime_error("the simulate command reads " + shell_words(args) + " as another configuration:\n" +
                             final_read.canonical() + "\ninstead of\n" + config.canonical());
  return args;
}

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "infersweep-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a directory like " + pattern);
  path = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SimulateRun run_simulate_cli(const std::string& binary, const std::vector<std::string>& args,
                             const std::function<void(const std::string& output_dir)>& inspect) {
  ScratchDir scratch;
  const auto output_dir = (scratch.path / "out").string();
  const auto out_file = (scratch.path / "stdout.txt").string();
  const auto err_file = (scratch.path / "stderr.txt").string();
  std::vector<std::string> words = {binary, "simulate"};
  words.insert(words.end(), args.begin(), args.end());
  words.push_back("--output-dir");
  words.push_back(output_dir);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed for " + binary);
  SimulateRun run;
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.max_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports kilobytes
  const auto err = read_text(err_file);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(shell_words(words) + " failed (status " + std::to_string(status) + "):\n" + err);
  const auto at = err.find("simulated ");
  long long events = 0;
  if (at == std::string::npos ||
      std::sscanf(err.c_str() + at, "simulated %lld events in %lf s wall time", &events, &run.event_loop_s) != 2)
    throw std::runtime_error(shell_words(words) + " printed no \"simulated N events in X s wall time\":\n" + err);
  run.events = events;
  if (inspect) inspect(output_dir);
  return run;
}

std::string shell_words(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    if (!a.empty() && a.find_first_of(" \t'\"$\\*?;&|<>()") == std::string::npos) {
      out += a;
      continue;
    }
    out += '\'';
    for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace infersweep::bench
