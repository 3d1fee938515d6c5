#pragma once
// The trade-off between cost efficiency and latency that Vidur's analysis draws: each config is
// a point (QPS per dollar, a latency quantile); more QPS per dollar and less latency are better.
// These functions are the definition that `infersweep pareto` and the Python analysis package
// both follow, so their answers agree config for config.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace infersweep::analysis {

struct TradeoffPoint {
  double qps_per_dollar = 0;  // to maximise
  double latency_s = 0;       // to minimise
};

// A point takes part only when both coordinates are finite: a config without capacity or
// without the latency metric is in no front and near none.
bool is_comparable(const TradeoffPoint& point);

// Indices of the non-dominated points, by increasing latency (then input order). A point is
// dominated when another is at least as good on both axes and better on one; identical
// points do not dominate each other, so all copies of a front point are on the front.
std::vector<size_t> pareto_front(const std::vector<TradeoffPoint>& points);

// Whether `point` is within `tolerance` (0.1 = 10 %) of `front_point`: at least
// (1 - tolerance) of its QPS per dollar, at most (1 + tolerance) of its latency (Vidur's
// get_near_pareto_mask rule).
bool is_near(const TradeoffPoint& point, const TradeoffPoint& front_point, double tolerance);

// Indices, in input order, of the comparable points near at least one point of `front`
// (front points themselves included).
std::vector<size_t> near_front(const std::vector<TradeoffPoint>& points, const std::vector<size_t>& front,
                               double tolerance);

// The service-level objectives a deployment must meet. Each applies to the metric at the
// config's capacity; a config missing a metric does not meet its SLO.
struct SloLimits {
  double ttft_p90_s = 2.0;
  double tbt_p99_s = 0.2;
};

// What choosing the best config needs to know of each one.
struct ConfigCandidate {
  std::string config_id;
  double qps_per_dollar = 0;
  double capacity_qps = 0;
  long long gpus = 0;
  double ttft_p90_s = 0;
  double tbt_p99_s = 0;
};

bool meets_slos(const ConfigCandidate& config, const SloLimits& slos);

// Whether `a` ranks above `b` as the best config: more QPS per dollar, then more capacity,
// then fewer GPUs, then the smaller config id, so that the choice never depends on row order.
bool ranks_above(const ConfigCandidate& a, const ConfigCandidate& b);

// The config meeting the SLOs with the most QPS per dollar (ties as in ranks_above), or none.
std::optional<size_t> best_under_slos(const std::vector<ConfigCandidate>& configs, const SloLimits& slos);

}  // namespace infersweep::analysis
