#pragma once
// One probe of a capacity search: simulate a unit's deployment at one QPS and measure what the
// SLO judges. With early stop on, the simulation ends as soon as enough requests have waited
// past the scheduling-delay SLO that the quantile must exceed it, whatever happens later.
#include <cstdint>

#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/search/capacity_search.hpp"
#include "infersweep/search/deployment_space.hpp"
#include "infersweep/sim/simulation.hpp"

namespace infersweep::search {

// The fewest of n values above a threshold that put the linear-interpolation q-quantile above
// it: the value at floor((n-1)q) must be one of them.
int64_t violations_that_decide(int64_t n, double q);

// Measurements of a finished (or stopped) simulation; pass/fail is left to judge_probe.
ProbeRecord measure_probe(const sim::Simulation& simulation, double slo_quantile);

// The probes of one search. The unit is planned (validated, specs resolved, memory planned)
// and its length trace read once; each probe then only draws arrivals at its QPS and simulates.
class ProbeRunner {
 public:
  ProbeRunner(const SearchUnit& unit, const spec::SpecCatalog& catalog);

  const sim::SimulationSetup& plan() const { return plan_; }
  // Simulates the unit at `qps` with the given predictor (which must match plan()).
  // `decode_predictor`: the decode pool's, for a disaggregated unit (see sim::Simulation).
  ProbeRecord run(double qps, const predict::ExecutionTimePredictor& predictor,
                  const predict::ExecutionTimePredictor* decode_predictor = nullptr) const;
  // The rate (QPS) at which the deployment completes requests when all of them are waiting:
  // the first `pilot_requests` of the unit's requests, arriving at once, and the completions
  // between the first and the third quarter of them (so that neither the start, with the first
  // prompts, nor the drain of the last ones counts; the run ends at the third quarter). A
  // colocated deployment's replicas are alike: one of them runs every pilot request, and the
  // rate is its rate times the replicas. A capacity search starts there. 0 when fewer than 8
  // requests completed or they completed at one time.
  double saturated_qps(int64_t pilot_requests, const predict::ExecutionTimePredictor& predictor,
                       const predict::ExecutionTimePredictor* decode_predictor = nullptr) const;

 private:
  sim::SimulationSetup plan_;
  SearchSettings settings_;
};

// One probe on its own: ProbeRunner(unit, catalog).run(qps, predictor).
ProbeRecord run_probe(const SearchUnit& unit, double qps, const spec::SpecCatalog& catalog,
                      const predict::ExecutionTimePredictor& predictor);

}  // namespace infersweep::search
