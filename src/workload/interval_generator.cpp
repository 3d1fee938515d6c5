#include "infersweep/workload/interval_generator.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/common/random_stream.hpp"
#include "infersweep/io/csv_table.hpp"

namespace infersweep::workload {

namespace {

class StaticIntervalGenerator : public IntervalGenerator {
 public:
  std::optional<double> next() override { return 0.0; }
};

// Exponential inter-arrival times. Unlike Vidur, the tail is not truncated at 3/qps, which
// would raise the real rate by about 5 %.
class PoissonIntervalGenerator : public IntervalGenerator {
 public:
  explicit PoissonIntervalGenerator(const WorkloadConfig& c) : rng_(c.seed, "interval.poisson"), qps_(c.qps) {}
  std::optional<double> next() override { return rng_.exponential(qps_); }

 private:
  RandomStream rng_;
  double qps_;
};

class GammaIntervalGenerator : public IntervalGenerator {
 public:
  explicit GammaIntervalGenerator(const WorkloadConfig& c) : rng_(c.seed, "interval.gamma") {
    shape_ = 1.0 / (c.gamma_cv * c.gamma_cv);
    scale_ = 1.0 / (c.qps * shape_);
  }
  std::optional<double> next() override { return rng_.gamma(shape_, scale_); }

 private:
  RandomStream rng_;
  double shape_ = 1, scale_ = 1;
};

// Intervals between successive arrival timestamps of a CSV (column arrived_at, seconds), taken
// in time order like trace_replay's.
class TraceIntervalGenerator : public IntervalGenerator {
 public:
  explicit TraceIntervalGenerator(const WorkloadConfig& c) {
    const auto table = io::CsvTable::read(c.interval_trace_file);
    const size_t column = table.column("arrived_at");
    std::vector<double> times;
    for (size_t row = 0; row < table.num_rows(); ++row) {
      times.push_back(table.as_double(row, column));
      if (row > 0 && times[row] < times[row - 1]) note_out_of_order_arrival(notes_, table.path(), table.line_of(row));
    }
    std::stable_sort(times.begin(), times.end());
    for (size_t i = 1; i < times.size(); ++i) {
      const double interval = (times[i] - times[i - 1]) * c.time_scale;
      if (!std::isfinite(interval))
        throw InputError::in_file(table.path(), 0, "column 'arrived_at'",
                                  "an interval times --time-scale is not a finite number of seconds");
      intervals_.push_back(interval);
    }
  }
  std::optional<double> next() override {
    if (next_ >= intervals_.size()) return std::nullopt;
    return intervals_[next_++];
  }
  void add_notes(WorkloadNotes& notes) const override {
    if (notes_.out_of_order_arrivals == 0) return;
    notes.out_of_order_arrivals += notes_.out_of_order_arrivals;
    notes.out_of_order_file = notes_.out_of_order_file;
    notes.first_out_of_order_line = notes_.first_out_of_order_line;
  }

 private:
  std::vector<double> intervals_;
  size_t next_ = 0;
  WorkloadNotes notes_;
};

}  // namespace

IntervalGeneratorRegistry make_interval_generator_registry() {
  IntervalGeneratorRegistry registry("interval generator");
  registry.add(
      "static", [](const WorkloadConfig&) { return std::make_unique<StaticIntervalGenerator>(); },
      {{},
       {},
       [](const WorkloadConfig& c) {
         if (c.duration_s > 0)
           throw InputError::setting("duration", "cannot bound a static (all at t=0) workload; use --num-requests");
       }},
      "every request arrives at t = 0");
  registry.add(
      "poisson", [](const WorkloadConfig& c) { return std::make_unique<PoissonIntervalGenerator>(c); },
      {{"qps"}, {}, nullptr}, "exponential inter-arrival times at the given rate");
  registry.add(
      "gamma", [](const WorkloadConfig& c) { return std::make_unique<GammaIntervalGenerator>(c); },
      {{"qps", "gamma-cv"}, {}, nullptr}, "gamma inter-arrival times: bursty when the CV is above 1");
  registry.add(
      "trace", [](const WorkloadConfig& c) { return std::make_unique<TraceIntervalGenerator>(c); },
      {{"interval-trace-file", "time-scale"}, {"interval-trace-file"}, nullptr},
      "inter-arrival times of a trace's arrived_at column");
  return registry;
}

const IntervalGeneratorRegistry& builtin_interval_generators() {
  static const IntervalGeneratorRegistry registry = make_interval_generator_registry();
  return registry;
}

}  // namespace infersweep::workload
