#pragma once
// Cuts an ordered task list into bundles for the master to hand out: bundles shrink as the
// remaining work does (guided scheduling), so early bundles amortise messages and late ones
// cut the tail, and no bundle is smaller than the rank's thread count while work remains.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace infersweep::sweep {

// Task order: the highest expected cost first; equal costs keep their given order.
std::vector<int64_t> longest_first(const std::vector<int64_t>& tasks, const std::vector<double>& cost);

class BundlePlanner {
 public:
  // `total_threads`: threads over all ranks that run bundles.
  BundlePlanner(std::vector<int64_t> ordered_tasks, int64_t total_threads);

  bool done() const { return next_ == tasks_.size(); }
  size_t remaining() const { return tasks_.size() - next_; }
  // The next bundle for a rank running `rank_threads` threads; empty once every task is out.
  std::vector<int64_t> next(int64_t rank_threads);
  // The guided size rule on its own: ceil(remaining / (8 x total_threads)), at least the
  // rank's threads, at most max(16, 4 x rank_threads) and the remaining tasks. With two
  // bundles held per rank, about a quarter of the work is out at any time, so a stop
  // request leaves little in flight and late bundles balance the ranks.
  static size_t bundle_size(size_t remaining, int64_t total_threads, int64_t rank_threads);

 private:
  std::vector<int64_t> tasks_;
  size_t next_ = 0;
  int64_t total_threads_;
};

}  // namespace infersweep::sweep
