#pragma once
// Independent, reproducible random streams. Each stream is keyed by (seed, purpose name), so a
// new draw in one stream never shifts another, and results never depend on which thread or
// rank ran a simulation. The generator (xoshiro256**) and every distribution are implemented
// here rather than taken from <random>, whose distributions differ between standard libraries.
#include <cstdint>
#include <string_view>

namespace infersweep {

uint64_t fnv1a64(std::string_view text);
uint64_t splitmix64(uint64_t& state);

class RandomStream {
 public:
  RandomStream(uint64_t seed, std::string_view purpose);

  uint64_t next_u64();
  double uniform01();                       // [0, 1), 53 random bits
  double uniform(double low, double high);  // [low, high)
  uint64_t uniform_index(uint64_t n);       // [0, n), unbiased
  double exponential(double rate);          // mean 1/rate
  double standard_normal();
  double gamma(double shape, double scale);  // mean shape*scale

 private:
  uint64_t s_[4];
};

}  // namespace infersweep
