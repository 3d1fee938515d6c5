#pragma once
// Utilisation the way Vidur reports it (metrics_store.py, series_average_meter.py and
// mfu_calculator.py at 7d47513), so that its `*_weighted_mean` figures compare directly with
// ours. docs/vidur-differences.md says why infersweep's own figures differ.
#include <cstdint>

namespace infersweep::sim {

// MFU in percent with Vidur's denominator: peak = fp16_tflops x 2^40 FLOP/s (not 10^12),
// evaluated in Vidur's order of operations.
double vidur_mfu_percent(double stage_flops, double stage_seconds, double fp16_tflops);

// Vidur's time-weighted mean of a step function (busy time, MFU). It starts from a point
// (0, 0) and adds a segment y_k * (x_{k+1} - x_k) for each new point, except when the segment
// starts at x = 0; the last value is not extended. So the window runs from the first point
// recorded after t = 0 to the last point recorded: for busy time and MFU, from the first batch
// start to the last batch end of that stage.
class VidurWindowMean {
 public:
  void record(double time, double value) {  // a few times per batch: inline
    if (last_time_ != 0) {
      const double segment = time - last_time_;
      weighted_sum_ += last_value_ * segment;
      duration_ += segment;
    }
    last_time_ = time;
    last_value_ = value;
  }
  // NaN when no segment was accumulated (Vidur writes no figure then).
  double mean() const;

 private:
  double last_time_ = 0, last_value_ = 0;
  double weighted_sum_ = 0, duration_ = 0;
};

// Vidur's KV memory figure: its meter is built with `save_table_to_wandb` in the position of
// `use_weighted_mean`, so with the default (false) it is the plain mean of the samples, one per
// batch formation and one per batch end, and of the initial (0, 0) point.
class VidurSampleMean {
 public:
  void record(double value) {
    sum_ += value;
    ++count_;
  }
  double mean() const { return sum_ / static_cast<double>(count_); }
  int64_t count() const { return count_; }

 private:
  double sum_ = 0;     // the initial point's value, 0
  int64_t count_ = 1;  // the initial point
};

}  // namespace infersweep::sim
