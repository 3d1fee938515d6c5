#include "infersweep/sim/vidur_utilisation.hpp"

#include <cmath>
#include <limits>

namespace infersweep::sim {

double vidur_mfu_percent(double stage_flops, double stage_seconds, double fp16_tflops) {
  const double flops_per_second = stage_flops / stage_seconds;
  return flops_per_second * 100.0 / (fp16_tflops * std::ldexp(1.0, 40));
}

double VidurWindowMean::mean() const {
  // Vidur divides only when its denominator is not zero.
  if (duration_ == 0) return std::numeric_limits<double>::quiet_NaN();
  return weighted_sum_ / duration_;
}

}  // namespace infersweep::sim
