#pragma once
// What a simulation measures while it runs (Vidur's metrics_store.py): request completions,
// inter-token gaps, batch shapes, and per-replica/per-stage utilisation over time.
#include <cstdint>
#include <vector>

#include "infersweep/sim/batch.hpp"
#include "infersweep/sim/request.hpp"
#include "infersweep/sim/statistics.hpp"
#include "infersweep/sim/vidur_utilisation.hpp"

namespace infersweep::sim {

// Per-request metrics derived from a completed request (all seconds unless noted).
struct RequestMetrics {
  double e2e_time, e2e_time_normalized;
  double execution_time, execution_time_normalized;
  double model_execution_time, model_execution_time_normalized;
  double preemption_time, scheduling_delay;
  double execution_plus_preemption_time, execution_plus_preemption_time_normalized;
  double ttft;  // prefill_e2e_time: arrival to first output token
  double prefill_time_execution_plus_preemption, prefill_time_execution_plus_preemption_normalized;
  double decode_time_execution_plus_preemption_normalized;
  // Disaggregation (0 for a request decoded where it was prefilled): the wait for a decode
  // replica with room for its KV after the prefill, and the transfer itself.
  double decode_queueing_delay, kv_transfer_time;
};
RequestMetrics derive_request_metrics(const Request& r);

struct StageSpan {  // one batch on one stage, for the Chrome trace
  int32_t replica, stage;
  int64_t batch_id, batch_size, num_tokens;
  double start, duration;
};

struct TransferSpan {  // one KV transfer between pools, for the Chrome trace
  RequestId request;
  int32_t from_replica, to_replica;
  double start, end;
};

class MetricsStore {
 public:
  // Per replica, its pipeline stages and its GPU's dense fp16 peak (the denominator of MFU).
  // Without `detailed`, only the batch sizes of the batch distributions and none of Vidur's
  // series are kept (SimulationConfig::detailed_metrics).
  MetricsStore(std::vector<int64_t> stages_per_replica, bool record_trace, std::vector<double> fp16_tflops,
               bool detailed = true);

  void on_request_arrival(const Request& r);
  void on_request_completed(const Request& r) { completed_.push_back(r.id); }
  // `count` requests saw the same gap (those of one batch that decoded in the previous one too).
  void on_token_gaps(double seconds, int64_t count) { tbt_.add(seconds, count); }
  // A batch of `num_requests` requests ends (a stretch's iteration has no request lists).
  void on_batch_end(const Batch& batch, int64_t num_requests, double now);
  void on_memory_usage(int32_t replica, double now, double percent);
  // A stage starts a batch of `stage_flops` work that takes `stage_seconds`.
  void on_stage_start(int32_t replica, int32_t stage, double now, double stage_flops, double stage_seconds);
  void on_stage_end(int32_t replica, int32_t stage, double now);
  void on_stage_span(const StageSpan& span) {
    if (record_trace_) spans_.push_back(span);
  }
  void on_transfer_span(const TransferSpan& span) {
    if (record_trace_) transfer_spans_.push_back(span);
  }

  const std::vector<RequestId>& completed() const { return completed_; }
  const std::vector<double>& inter_arrival_delays() const { return inter_arrival_; }
  const QuantileSketch& tbt() const { return tbt_; }
  const QuantileSketch& batch_execution_time() const { return batch_time_; }
  const QuantileSketch& batch_size() const { return batch_size_; }
  const QuantileSketch& batch_num_tokens() const { return batch_tokens_; }
  const QuantileSketch& batch_num_prefill_tokens() const { return batch_prefill_; }
  const QuantileSketch& batch_num_decode_tokens() const { return batch_decode_; }
  const TimeWeightedSeries& memory(int32_t replica) const { return memory_[static_cast<size_t>(replica)]; }
  const TimeWeightedSeries& busy(int32_t replica, int32_t stage) const { return busy_[index(replica, stage)]; }
  const TimeWeightedSeries& mfu(int32_t replica, int32_t stage) const { return mfu_[index(replica, stage)]; }
  // The same three as Vidur computes them (see vidur_utilisation.hpp).
  const VidurSampleMean& vidur_memory(int32_t replica) const { return vidur_memory_[static_cast<size_t>(replica)]; }
  const VidurWindowMean& vidur_busy(int32_t replica, int32_t stage) const { return vidur_busy_[index(replica, stage)]; }
  const VidurWindowMean& vidur_mfu(int32_t replica, int32_t stage) const { return vidur_mfu_[index(replica, stage)]; }
  const std::vector<StageSpan>& spans() const { return spans_; }
  const std::vector<TransferSpan>& transfer_spans() const { return transfer_spans_; }
  int64_t num_replicas() const { return static_cast<int64_t>(stages_.size()); }
  int64_t num_stages(int32_t replica) const { return stages_[static_cast<size_t>(replica)]; }

 private:
  size_t index(int32_t replica, int32_t stage) const {
    return static_cast<size_t>(stage_offset_[static_cast<size_t>(replica)] + stage);
  }

  std::vector<int64_t> stages_, stage_offset_;
  bool record_trace_;
  std::vector<double> fp16_tflops_;
  bool detailed_;
  bool any_arrival_ = false;
  double last_arrival_ = 0;
  std::vector<RequestId> completed_;
  std::vector<double> inter_arrival_;
  QuantileSketch tbt_, batch_time_, batch_size_, batch_tokens_, batch_prefill_, batch_decode_;
  std::vector<TimeWeightedSeries> memory_, busy_, mfu_;
  std::vector<VidurSampleMean> vidur_memory_;
  std::vector<VidurWindowMean> vidur_busy_, vidur_mfu_;
  std::vector<StageSpan> spans_;
  std::vector<TransferSpan> transfer_spans_;
};

}  // namespace infersweep::sim
