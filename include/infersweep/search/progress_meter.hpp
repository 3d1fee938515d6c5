#pragma once
// Progress of long work on stderr: done/total, rate, ETA and failures, at most one line per
// interval (and always the last). Safe to call from many threads.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>

namespace infersweep::search {

class ProgressMeter {
 public:
  ProgressMeter(std::ostream* out, std::string what, int64_t total, double interval_s);

  // One item finished; `failed` counts it among the failures.
  void item_done(bool failed);
  // Prints a line if the interval has passed, for callers whose items arrive in bursts.
  void tick();
  void finish();

  static std::string format_duration(double seconds);  // 42 s, 3 min 05 s, 2 h 10 min

 private:
  void print_if_due_locked();
  void print_locked(bool final);

  std::ostream* out_;
  std::string what_;
  int64_t total_;
  double interval_s_;
  std::chrono::steady_clock::time_point start_, last_print_;
  std::mutex mutex_;
  int64_t done_ = 0, failed_ = 0;
};

}  // namespace infersweep::search
