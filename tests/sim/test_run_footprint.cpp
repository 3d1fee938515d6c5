// A run's memory is estimated before anything is allocated, and a run that cannot fit is
// refused with the estimate (a billion requests once grew until the system killed them).
#include <gtest/gtest.h>

#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/system_memory.hpp"
#include "infersweep/sim/run_footprint.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sim;

namespace {

std::string refused_setting(const SimulationConfig& c, int64_t available, int64_t concurrent = 1) {
  try {
    check_footprint_fits(estimate_footprint(c), c, available, concurrent);
  } catch (const InputError& e) {
    return e.setting_name() + ": " + e.message();
  }
  return "";
}

}  // namespace

TEST(RunFootprint, TheEstimatedRequestCountBoundsWhatIsGenerated) {
  SimulationConfig c;
  c.workload.num_requests = 1000;
  EXPECT_EQ(estimate_footprint(c).requests, 1000);
  c.workload.num_requests.reset();
  EXPECT_EQ(estimate_footprint(c).requests, workload::kDefaultSyntheticRequests);
  c.workload.duration_s = 50;
  for (const double qps : {0.5, 4.0, 40.0}) {
    c.workload.qps = qps;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      c.workload.seed = seed;
      const auto generated = static_cast<int64_t>(workload::generate_requests(c.workload).size());
      const auto estimated = estimate_footprint(c).requests;
      EXPECT_GE(estimated, generated) << "qps " << qps << " seed " << seed;
      EXPECT_LE(estimated, qps * 50 * 2 + 64) << "a bound so loose that it refuses runs that fit";
    }
  }
}

TEST(RunFootprint, ATraceReplayIsCountedByItsRows) {
  test_support::TempDir d;
  const auto trace = d.file("t.csv");
  std::ofstream(trace) << "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,2\n1,10,2\n2,10,2\n";
  SimulationConfig c;
  c.workload.generator = "trace_replay";
  c.workload.trace_file = trace;
  EXPECT_GE(estimate_footprint(c).requests, 3);
  EXPECT_LE(estimate_footprint(c).requests, 5);
  c.workload.num_requests = 2;
  EXPECT_EQ(estimate_footprint(c).requests, 2);
}

TEST(RunFootprint, ARunThatCannotFitIsRefusedNamingWhatSizedItAndTheEstimate) {
  const int64_t gigabyte = 1'000'000'000;
  SimulationConfig c;
  c.workload.num_requests = 1'000'000'000;
  auto refusal = refused_setting(c, 16 * gigabyte);
  EXPECT_EQ(refusal.rfind("num-requests: ", 0), 0u) << refusal;
  EXPECT_NE(refusal.find("480.1 GB"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("16.0 GB of memory are available"), std::string::npos) << refusal;

  c.workload.num_requests.reset();
  c.workload.duration_s = 1e9;
  refusal = refused_setting(c, 16 * gigabyte);
  EXPECT_EQ(refusal.rfind("duration: ", 0), 0u) << refusal;
  c.workload.duration_s = 1e300;  // counts beyond int64 are refused too, not wrapped
  EXPECT_EQ(refused_setting(c, 16 * gigabyte).rfind("duration: ", 0), 0u);

  c.workload.duration_s = 0;
  c.workload.num_requests = 100'000;  // 48 MB + the run's fixed part
  EXPECT_EQ(refused_setting(c, gigabyte), "");
  EXPECT_NE(refused_setting(c, gigabyte, 16).find("for 16 runs at once"), std::string::npos);
}

TEST(RunFootprint, AvailableMemoryIsReadFromMeminfoAndTheCgroup) {
  EXPECT_EQ(meminfo_available_bytes("MemTotal:  100 kB\nMemAvailable:    2048 kB\n"), 2048 * 1024);
  EXPECT_EQ(meminfo_available_bytes("MemTotal: 100 kB\n"), std::nullopt);
  EXPECT_EQ(cgroup_remaining_bytes("max\n", "123\n"), std::nullopt);
  EXPECT_EQ(cgroup_remaining_bytes("1000\n", "300\n"), 700);
  EXPECT_EQ(cgroup_remaining_bytes("1000\n", "3000\n"), 0);
  const auto here = available_memory_bytes();
  ASSERT_TRUE(here.has_value()) << "this Linux machine has /proc/meminfo";
  EXPECT_GT(*here, 0);
}
