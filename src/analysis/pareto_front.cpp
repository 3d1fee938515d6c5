#include "infersweep/analysis/pareto_front.hpp"

#include <algorithm>
#include <cmath>

namespace infersweep::analysis {

bool is_comparable(const TradeoffPoint& point) {
  return std::isfinite(point.qps_per_dollar) && std::isfinite(point.latency_s);
}

std::vector<size_t> pareto_front(const std::vector<TradeoffPoint>& points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i)
    if (is_comparable(points[i])) order.push_back(i);
  // Lowest latency first and, at equal latency, most QPS per dollar first: a point is then on
  // the front exactly when it beats the best QPS per dollar of every strictly faster point.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].latency_s != points[b].latency_s) return points[a].latency_s < points[b].latency_s;
    return points[a].qps_per_dollar > points[b].qps_per_dollar;
  });
  std::vector<size_t> front;
  bool any_faster = false;
  double best_faster = 0;
  for (size_t k = 0; k < order.size();) {
    size_t end = k;
    while (end < order.size() && points[order[end]].latency_s == points[order[k]].latency_s) ++end;
    const double group_best = points[order[k]].qps_per_dollar;
    if (!any_faster || group_best > best_faster) {
      for (size_t j = k; j < end && points[order[j]].qps_per_dollar == group_best; ++j) front.push_back(order[j]);
      best_faster = group_best;
      any_faster = true;
    }
    k = end;
  }
  return front;
}

bool is_near(const TradeoffPoint& point, const TradeoffPoint& front_point, double tolerance) {
  return point.qps_per_dollar >= front_point.qps_per_dollar * (1.0 - tolerance) &&
         point.latency_s <= front_point.latency_s * (1.0 + tolerance);
}

std::vector<size_t> near_front(const std::vector<TradeoffPoint>& points, const std::vector<size_t>& front,
                               double tolerance) {
  std::vector<size_t> near;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!is_comparable(points[i])) continue;
    const bool close =
        std::any_of(front.begin(), front.end(), [&](size_t f) { return is_near(points[i], points[f], tolerance); });
    if (close) near.push_back(i);
  }
  return near;
}

bool meets_slos(const ConfigCandidate& config, const SloLimits& slos) {
  // Comparisons with NaN are false, so a missing metric or capacity never passes.
  return std::isfinite(config.qps_per_dollar) && config.ttft_p90_s <= slos.ttft_p90_s &&
         config.tbt_p99_s <= slos.tbt_p99_s;
}

bool ranks_above(const ConfigCandidate& a, const ConfigCandidate& b) {
  if (a.qps_per_dollar != b.qps_per_dollar) return a.qps_per_dollar > b.qps_per_dollar;
  if (a.capacity_qps != b.capacity_qps) return a.capacity_qps > b.capacity_qps;
  if (a.gpus != b.gpus) return a.gpus < b.gpus;
  return a.config_id < b.config_id;
}

std::optional<size_t> best_under_slos(const std::vector<ConfigCandidate>& configs, const SloLimits& slos) {
  std::optional<size_t> best;
  for (size_t i = 0; i < configs.size(); ++i) {
    if (!meets_slos(configs[i], slos)) continue;
    if (!best || ranks_above(configs[i], configs[*best])) best = i;
  }
  return best;
}

}  // namespace infersweep::analysis
