// Work run in a child process first: a crash or an endless loop there ends the child only.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "infersweep/sweep/isolated_run.hpp"

using infersweep::sweep::IsolatedOutcome;
using infersweep::sweep::run_isolated;

TEST(IsolatedRun, WorkThatReturnsCompletes) {
  int touched = 0;
  EXPECT_EQ(run_isolated([&] { touched = 1; }, 10).kind, IsolatedOutcome::Kind::completed);
  EXPECT_EQ(touched, 0);  // the child's memory is its own
}

TEST(IsolatedRun, AnErrorComesBackWithItsMessageAndTag) {
  const auto plain = run_isolated([] { throw std::runtime_error("bad \xff byte"); }, 10);
  EXPECT_EQ(plain.kind, IsolatedOutcome::Kind::failed);
  EXPECT_EQ(plain.detail, "bad \xff byte");
  EXPECT_EQ(plain.tag, "");
  const auto tagged = run_isolated([] { throw infersweep::sweep::TaggedError("stale", "line 1\nline 2"); }, 10);
  EXPECT_EQ(tagged.kind, IsolatedOutcome::Kind::failed);
  EXPECT_EQ(tagged.tag, "stale");
  EXPECT_EQ(tagged.detail, "line 1\nline 2");
}

TEST(IsolatedRun, ACrashEndsTheChildAndIsReported) {
  const auto crash = run_isolated([] { std::abort(); }, 10);
  EXPECT_EQ(crash.kind, IsolatedOutcome::Kind::crashed);
  EXPECT_NE(crash.detail.find("signal 6"), std::string::npos) << crash.detail;
}

TEST(IsolatedRun, WorkThatNeverEndsIsKilledAtTheLimit) {
  const auto endless = run_isolated(
      [] {
        for (volatile bool forever = true; forever;) {
        }
      },
      0.3);
  EXPECT_EQ(endless.kind, IsolatedOutcome::Kind::timed_out);
}
