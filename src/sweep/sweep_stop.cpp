#include "infersweep/sweep/sweep_stop.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::sweep {

namespace {

volatile std::sig_atomic_t stop_signal = 0;

extern "C" void record_stop_signal(int signal) { stop_signal = signal; }

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action = {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int received_stop_signal() { return stop_signal; }

double parse_duration(const std::string& text, const std::string& option) {
  std::smatch m;
  static const std::regex units(R"(^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$)");
  static const std::regex clock(R"(^\s*(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)\s*$)");
  double seconds = -1;
  if (std::regex_match(text, m, clock)) {
    const double days = m[1].matched ? std::stod(m[1]) : 0;
    const double hours = m[2].matched ? std::stod(m[2]) : 0;
    if (m[2].matched || m[1].matched)
      seconds = ((days * 24 + hours) * 60 + std::stod(m[3])) * 60 + std::stod(m[4]);
    else
      seconds = std::stod(m[3]) * 60 + std::stod(m[4]);  // MM:SS
  } else if (!text.empty() && std::regex_match(text, m, units) && (m[1].matched || m[2].matched || m[3].matched)) {
    seconds = (m[1].matched ? std::stod(m[1]) * 3600 : 0) + (m[2].matched ? std::stod(m[2]) * 60 : 0) +
              (m[3].matched ? std::stod(m[3]) : 0);
  }
  if (!(seconds > 0))
    throw InputError::setting(option, "'" + text + "' is not a positive duration (e.g. 600, 45m, 11h30m, 11:30:00)");
  return seconds;
}

SweepStopCondition::SweepStopCondition(std::string stop_file, double deadline_s)
    : stop_file_(std::move(stop_file)), deadline_s_(deadline_s), start_(std::chrono::steady_clock::now()) {}

std::string SweepStopCondition::stop_reason() {
  if (const int s = received_stop_signal()) return s == SIGINT ? "SIGINT received" : "SIGTERM received";
  std::error_code ignored;
  if (!stop_file_.empty() && std::filesystem::exists(stop_file_, ignored))
    return "stop file " + stop_file_ + " appeared";
  if (deadline_s_ > 0 &&
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= deadline_s_)
    return "deadline of " + format_double(deadline_s_) + " s reached";
  return {};
}

}  // namespace infersweep::sweep
