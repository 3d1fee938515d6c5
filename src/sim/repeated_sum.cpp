#include "infersweep/sim/repeated_sum.hpp"

#include <algorithm>

#include "infersweep/common/double_bits.hpp"

namespace infersweep::sim {

namespace {

// A power of two from its biased IEEE-754 exponent (1 to 2046).
double power_of_two(uint64_t biased_exponent) { return double_from_bits(biased_exponent << 52); }

}  // namespace

// While sum stays within one binade [2^e, 2^(e+1)), its spacing u = 2^(e-52) is fixed and sum
// is a multiple of u: so sum + value rounds to sum + r, r being value rounded to a multiple of
// u, the same r at every step, unless value falls halfway between two multiples (a tie, rounded
// to even, which depends on sum). A run of such steps is then one exact product; the rest (a
// tie, a step that leaves the binade, zero, negative, subnormal or non-finite operands) are
// added one by one.
double add_in_runs(double sum, double value, int64_t count) {
  while (count > 0 && value > 0 && sum > 0) {
    const uint64_t biased = double_bits(sum) >> 52;  // sum > 0: no sign bit
    if (biased < 53 || biased > 2045) break;         // a subnormal spacing, or the last binade
    const double top = power_of_two(biased + 1);
    const double room = top - sum;  // exact: both multiples of the spacing, below 2^(e+1)
    if (!(value < room)) {          // leaves the binade at once (or value is not finite)
      sum += value;
      --count;
      continue;
    }
    // In units of the spacing (exact: powers of two), all below 2^53.
    const double per_unit = power_of_two(2098 - biased);
    const double units = value * per_unit;
    const auto whole = static_cast<int64_t>(units);
    const double fraction = units - static_cast<double>(whole);
    if (fraction == 0.5) break;  // a tie: one by one
    const int64_t step_units = fraction < 0.5 ? whole : whole + 1;
    if (step_units == 0) return sum;  // below half a spacing: sum never moves
    // Steps that keep sum at most top minus one spacing.
    const auto room_units = static_cast<int64_t>(room * per_unit);
    const int64_t steps = std::min(count, (room_units - 1) / step_units);
    if (steps == 0) {
      sum += value;
      --count;
      continue;
    }
    sum += static_cast<double>(steps * step_units) * power_of_two(biased - 52);  // exact, in the binade
    count -= steps;
  }
  for (; count > 0; --count) sum += value;
  return sum;
}

}  // namespace infersweep::sim
