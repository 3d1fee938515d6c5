#include "infersweep/search/capacity_search.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"

namespace infersweep::search {

std::string SearchSettings::canonical() const {
  std::ostringstream out;
  out << "slo_scheduling_delay_quantile = " << format_double(slo.scheduling_delay_quantile) << "\n"
      << "slo_scheduling_delay = " << format_double(slo.scheduling_delay_max_s) << "\n"
      << "slo_ttft_p90 = " << format_double(slo.ttft_p90_max_s) << "\n"
      << "slo_tbt_p99 = " << format_double(slo.tbt_p99_max_s) << "\n"
      << "granularity_percent = " << format_double(granularity_percent) << "\n"
      << "max_iterations = " << max_iterations << "\n"
      << "probe_time_limit = " << format_double(time_limit_s) << "\n"
      << "early_stop = " << (early_stop ? "true" : "false") << "\n";
  return out.str();
}

void judge_probe(ProbeRecord& p, const SloSettings& slo) {
  std::string violated;
  auto miss = [&violated](const char* name) { violated += (violated.empty() ? "" : ",") + std::string(name); };
  if (!(p.scheduling_delay_at_slo_quantile <= slo.scheduling_delay_max_s)) miss("scheduling_delay");
  if (slo.ttft_p90_max_s > 0 && !(p.ttft_p90 <= slo.ttft_p90_max_s)) miss("ttft_p90");
  if (slo.tbt_p99_max_s > 0 && !(p.tbt_p99 <= slo.tbt_p99_max_s)) miss("tbt_p99");
  p.violated = violated;
  p.passed = violated.empty();
}

CapacityOutcome search_capacity(double start_qps, const SearchSettings& s, const ProbeOracle& probe) {
  if (!(start_qps > 0) || !std::isfinite(start_qps))
    throw InputError::option("start_qps", "must be a positive number");
  const double slo = s.slo.scheduling_delay_max_s;
  CapacityOutcome out;
  double left = 0, right = 2 * start_qps, qps = 0;
  double lowest_failing = 4294967296.0;  // 2^32, as Vidur
  for (int64_t i = 0; i < s.max_iterations; ++i) {
    if (std::abs(left - right) < s.granularity_percent * qps / 100) break;
    qps = (left + right) / 2;
    auto record = probe(qps);
    record.qps = qps;
    judge_probe(record, s.slo);
    const double delay = record.scheduling_delay_at_slo_quantile;
    out.probes.push_back(std::move(record));
    const auto& p = out.probes.back();
    if (p.passed) {
      out.capacity_qps = qps;
      out.best_probe = static_cast<int64_t>(out.probes.size()) - 1;
      if (delay < slo / 8)
        right = std::min(4 * right, lowest_failing);
      else if (delay < slo / 4 || qps > 0.8 * right)
        right = std::min(2 * right, lowest_failing);
      left = qps;
    } else {
      right = delay > 500 ? qps / 2 : qps;
      lowest_failing = std::min(lowest_failing, qps);
    }
  }
  return out;
}

}  // namespace infersweep::search
