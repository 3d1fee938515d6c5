#include "infersweep/sweep/bundle_planner.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace infersweep::sweep {

std::vector<int64_t> longest_first(const std::vector<int64_t>& tasks, const std::vector<double>& cost) {
  if (tasks.size() != cost.size()) throw std::invalid_argument("one cost per task is needed");
  std::vector<size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cost[a] > cost[b]; });
  std::vector<int64_t> ordered;
  ordered.reserve(tasks.size());
  for (size_t i : order) ordered.push_back(tasks[i]);
  return ordered;
}

BundlePlanner::BundlePlanner(std::vector<int64_t> ordered_tasks, int64_t total_threads)
    : tasks_(std::move(ordered_tasks)), total_threads_(std::max<int64_t>(1, total_threads)) {}

size_t BundlePlanner::bundle_size(size_t remaining, int64_t total_threads, int64_t rank_threads) {
  const auto threads = static_cast<size_t>(std::max<int64_t>(1, rank_threads));
  const auto all = static_cast<size_t>(std::max<int64_t>(1, total_threads));
  size_t size = (remaining + 8 * all - 1) / (8 * all);
  size = std::max(size, threads);
  size = std::min(size, std::max<size_t>(16, 4 * threads));
  return std::min(size, remaining);
}

std::vector<int64_t> BundlePlanner::next(int64_t rank_threads) {
  const size_t size = bundle_size(remaining(), total_threads_, rank_threads);
  std::vector<int64_t> bundle(tasks_.begin() + static_cast<std::ptrdiff_t>(next_),
                              tasks_.begin() + static_cast<std::ptrdiff_t>(next_ + size));
  next_ += size;
  return bundle;
}

}  // namespace infersweep::sweep
