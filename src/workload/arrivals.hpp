#pragma once
// The arrival times of a generated workload: running sums of the interval generator's
// intervals, until --num-requests arrivals (128 if unset) or, with --duration, the last one
// before it.
#include <cstdint>
#include <memory>
#include <optional>

#include "infersweep/workload/interval_generator.hpp"

namespace infersweep::workload {

class Arrivals {
 public:
  explicit Arrivals(const WorkloadConfig& config);

  // The next arrival time; nullopt when the workload is complete. Throws InputError when an
  // interval trace runs out before --num-requests arrivals.
  std::optional<double> next();

  void add_notes(WorkloadNotes& notes) const { intervals_->add_notes(notes); }

 private:
  std::unique_ptr<IntervalGenerator> intervals_;
  double duration_s_;
  int64_t count_;
  int64_t taken_ = 0;
  double now_ = 0;
  bool done_ = false;
};

}  // namespace infersweep::workload
