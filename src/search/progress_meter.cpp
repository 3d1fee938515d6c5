#include "infersweep/search/progress_meter.hpp"

#include <cstdio>

namespace infersweep::search {

ProgressMeter::ProgressMeter(std::ostream* out, std::string what, int64_t total, double interval_s)
    : out_(out),
      what_(std::move(what)),
      total_(total),
      interval_s_(interval_s),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

std::string ProgressMeter::format_duration(double s) {
  char text[64];
  if (s < 60)
    std::snprintf(text, sizeof text, "%.0f s", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%d min %02d s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else
    std::snprintf(text, sizeof text, "%d h %02d min", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  return text;
}

void ProgressMeter::item_done(bool failed) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  failed_ += failed ? 1 : 0;
  print_if_due_locked();
}

void ProgressMeter::tick() {
  std::lock_guard<std::mutex> lock(mutex_);
  print_if_due_locked();
}

void ProgressMeter::print_if_due_locked() {
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_print_).count() < interval_s_) return;
  last_print_ = now;
  print_locked(false);
}

void ProgressMeter::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  print_locked(true);
}

void ProgressMeter::print_locked(bool final) {
  if (!out_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  char line[256];
  std::snprintf(line, sizeof line, "%s: %lld/%lld done (%.0f%%), %.2f/s, %s", what_.c_str(),
                static_cast<long long>(done_), static_cast<long long>(total_),
                total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0, rate,
                final ? ("took " + format_duration(elapsed)).c_str()
                      : ("ETA " + (rate > 0 ? format_duration(static_cast<double>(total_ - done_) / rate)
                                            : std::string("unknown")))
                            .c_str());
  *out_ << line << ", " << failed_ << " failed\n" << std::flush;
}

}  // namespace infersweep::search
