#pragma once
// A discrete-event simulation of one serving deployment: requests arrive, the global scheduler
// routes them, each replica's scheduler forms batches, and pipeline stages run them. A
// Simulation owns all of its state, so any number can run at once in one process.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/event_queue.hpp"
#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/metrics_store.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::sim {

class Simulation {
 public:
  // The predictor must outlive the simulation; it is shared read-only, so one predictor can
  // serve many simulations of the same (model, GPU, node, TP, PP).
  Simulation(const SimulationSetup& setup, const predict::ExecutionTimePredictor& predictor);

  // Runs until no event is left or the time limit is passed. Throws SimulationError if
  // requests are left that can never complete.
  void run();

  const std::vector<Request>& requests() const { return requests_; }
  const MetricsStore& metrics() const { return metrics_; }
  const SimulationSetup& setup() const { return setup_; }
  double end_time() const { return now_; }
  int64_t num_events() const { return num_events_; }
  int64_t num_batches() const { return next_batch_id_; }
  bool hit_time_limit() const { return hit_time_limit_; }
  // True when the early-stop rule of the configuration ended the run.
  bool stopped_early() const { return stopped_early_; }
  const predict::ExecutionTimePredictor& predictor() const { return predictor_; }
  int64_t num_blocks_per_replica() const;
  const ReplicaScheduler& replica_scheduler(int32_t replica) const { return *replicas_[static_cast<size_t>(replica)]; }

 private:
  struct Stage {
    std::deque<BatchId> fifo;
    bool busy = false;
  };

  void handle(const Event& e);
  void on_request_arrival(RequestId id);
  void on_global_schedule();
  void on_replica_schedule(int32_t replica);
  void on_batch_stage_arrival(int32_t replica, int32_t stage, BatchId batch);
  void on_replica_stage_schedule(int32_t replica, int32_t stage);
  void on_batch_stage_end(int32_t replica, int32_t stage, BatchId batch);
  void on_batch_end(int32_t replica, BatchId batch);

  Batch& batch(BatchId id) { return batches_[static_cast<size_t>(id - first_live_batch_)]; }
  double stage_flops(const Batch& b) const;
  void release_finished_batches();
  // Routers read the replicas' outstanding tokens: a negative count is a bookkeeping error,
  // reported as SimulationError.
  void check_outstanding_tokens(int32_t replica) const;
  // After a stall: the first request never admitted that its scheduler can never admit, with
  // its sizes and what the replica admits ("; the first request ..."), or empty.
  std::string stall_cause() const;

  SimulationSetup setup_;
  const predict::ExecutionTimePredictor& predictor_;
  std::vector<Request> requests_;
  std::vector<std::unique_ptr<ReplicaScheduler>> replicas_;
  std::unique_ptr<GlobalScheduler> global_scheduler_;
  std::vector<Stage> stages_;  // replica * num_stages + stage
  std::vector<RequestId> global_queue_;
  std::vector<char> touched_scratch_;
  std::deque<Batch> batches_;  // live batches, ids first_live_batch_...
  BatchId first_live_batch_ = 0;
  BatchId next_batch_id_ = 0;
  EventQueue events_;
  size_t next_arrival_ = 0;
  uint64_t first_arrival_sequence_ = 0;
  MetricsStore metrics_;
  double now_ = 0;
  int64_t num_events_ = 0;
  int64_t num_stages_;
  bool hit_time_limit_ = false;
  bool stopped_early_ = false;
  int64_t num_delayed_ = 0;  // first scheduled later than stop_delay_threshold_s after arrival
  // For MFU: weights per GPU, and per-layer attention dims of one GPU.
  double parameters_per_device_;
  double layers_per_stage_, q_heads_per_device_, head_dim_;
};

}  // namespace infersweep::sim
