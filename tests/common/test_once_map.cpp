// OnceMap: each key's value is made once however many threads ask at once, every caller gets
// that value, and an error while making it reaches every caller of its key.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "infersweep/common/once_map.hpp"

namespace infersweep {
namespace {

TEST(OnceMap, EachKeyIsMadeOnceForManyThreads) {
  OnceMap<int> map;
  std::atomic<int> made{0};
  std::vector<int> seen(16, -1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      const std::string key = t % 2 == 0 ? "even" : "odd";
      seen[static_cast<size_t>(t)] = map.get(key, [&] {
        made.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // others arrive while it is made
        return key == "even" ? 2 : 1;
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(made.load(), 2);
  EXPECT_EQ(map.size(), 2u);
  for (int t = 0; t < 16; ++t) EXPECT_EQ(seen[static_cast<size_t>(t)], t % 2 == 0 ? 2 : 1) << t;
}

TEST(OnceMap, AnErrorReachesEveryCallerOfItsKeyOnly) {
  OnceMap<int> map;
  int attempts = 0;
  const auto failing = [&]() -> int {
    ++attempts;
    throw std::runtime_error("no rows");
  };
  EXPECT_THROW(map.get("broken", failing), std::runtime_error);
  EXPECT_THROW(map.get("broken", failing), std::runtime_error);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(map.get("fine", [] { return 7; }), 7);
}

}  // namespace
}  // namespace infersweep
