#include "arrivals.hpp"

#include <string>

#include "infersweep/common/error.hpp"

namespace infersweep::workload {

Arrivals::Arrivals(const WorkloadConfig& config)
    : intervals_(builtin_interval_generators().create("interval-generator", config.interval_generator, config)),
      duration_s_(config.duration_s),
      count_(config.num_requests.value_or(kDefaultSyntheticRequests)) {}

std::optional<double> Arrivals::next() {
  const bool by_duration = duration_s_ > 0;
  if (done_ || (!by_duration && taken_ >= count_)) return std::nullopt;
  const auto interval = intervals_->next();
  if (!interval) {
    if (!by_duration)
      throw InputError::setting("interval-trace-file",
                                "trace has fewer arrivals than --num-requests (" + std::to_string(count_) + ")");
    done_ = true;
    return std::nullopt;
  }
  now_ += *interval;
  if (by_duration && now_ >= duration_s_) {
    done_ = true;
    return std::nullopt;
  }
  ++taken_;
  return now_;
}

}  // namespace infersweep::workload
