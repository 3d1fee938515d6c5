#pragma once
// What a deployment costs and what it buys, as Vidur's analyzer counts it: every GPU of every
// replica is paid for by the hour, and "QPS per dollar" is capacity per dollar-per-hour.
#include <cstdint>

namespace infersweep::search {

struct DeploymentCost {
  int64_t gpus = 0;             // replicas x TP x PP
  double dollars_per_hour = 0;  // gpus x price per GPU-hour
  double qps_per_dollar = 0;    // capacity QPS / dollars_per_hour
  double capacity_per_replica = 0;
};

// Throws InputError for a non-positive price or GPU count.
DeploymentCost deployment_cost(int64_t replicas, int64_t tp, int64_t pp, double price_per_gpu_hour,
                               double capacity_qps);

}  // namespace infersweep::search
