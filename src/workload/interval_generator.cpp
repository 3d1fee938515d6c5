#include "infersweep/workload/interval_generator.hpp"

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

// Intervals between successive arrival timestamps of a CSV (column arrived_at, seconds).
class TraceIntervalGenerator : public IntervalGenerator {
 public:
  explicit TraceIntervalGenerator(const WorkloadConfig& c) {
    const auto table = io::CsvTable::read(c.interval_trace_file);
    const size_t col = table.column("arrived_at");
    double previous = 0;
    for (size_t row = 0; row < table.num_rows(); ++row) {
      const double t = table.as_double(row, col);
      if (row > 0) {
        if (t < previous)
          throw InputError::in_file(table.path(), table.line_of(row), "arrived_at", "timestamps must not decrease");
        intervals_.push_back((t - previous) * c.time_scale);
      }
      previous = t;
    }
  }
  std::optional<double> next() override {
    if (next_ >= intervals_.size()) return std::nullopt;
    return intervals_[next_++];
  }

 private:
  std::vector<double> intervals_;
  size_t next_ = 0;
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
