#include "infersweep/sim/metrics_store.hpp"

#include <utility>

namespace infersweep::sim {

RequestMetrics derive_request_metrics(const Request& r) {
  // Normalised metrics divide by the request's original lengths, also after a restart (Vidur
  // divides by the shrunken post-restart output length).
  const double d = static_cast<double>(r.original_decode_tokens);
  const double p = static_cast<double>(r.original_prefill_tokens);
  RequestMetrics m;
  m.e2e_time = r.completed_at - r.arrived_at;
  m.e2e_time_normalized = m.e2e_time / d;
  m.execution_time = r.execution_time;
  m.execution_time_normalized = r.execution_time / d;
  m.model_execution_time = r.model_execution_time;
  m.model_execution_time_normalized = r.model_execution_time / d;
  m.preemption_time = r.preempted_time;
  m.scheduling_delay = r.scheduling_delay;
  m.execution_plus_preemption_time = r.execution_time + r.preempted_time;
  m.execution_plus_preemption_time_normalized = m.execution_plus_preemption_time / d;
  m.ttft = r.prefill_completed_at - r.arrived_at;
  m.prefill_time_execution_plus_preemption = r.prefill_completed_at - r.scheduled_at;
  m.prefill_time_execution_plus_preemption_normalized = m.prefill_time_execution_plus_preemption / p;
  m.decode_time_execution_plus_preemption_normalized = (r.completed_at - r.prefill_completed_at) / d;
  m.decode_queueing_delay = r.handed_off ? r.kv_transfer_started_at - r.prefill_completed_at : 0.0;
  m.kv_transfer_time = r.handed_off ? r.kv_transfer_ended_at - r.kv_transfer_started_at : 0.0;
  return m;
}

MetricsStore::MetricsStore(std::vector<int64_t> stages_per_replica, bool record_trace, std::vector<double> fp16_tflops,
                           bool detailed)
    : stages_(std::move(stages_per_replica)),
      record_trace_(record_trace),
      fp16_tflops_(std::move(fp16_tflops)),
      detailed_(detailed) {
  int64_t total = 0;
  for (int64_t n : stages_) {
    stage_offset_.push_back(total);
    total += n;
  }
  const auto replicas = stages_.size();
  const auto stages = static_cast<size_t>(total);
  memory_.resize(replicas);
  vidur_memory_.resize(replicas);
  busy_.resize(stages);
  mfu_.resize(stages);
  vidur_busy_.resize(stages);
  vidur_mfu_.resize(stages);
}

void MetricsStore::on_request_arrival(const Request& r) {
  if (any_arrival_) inter_arrival_.push_back(r.arrived_at - last_arrival_);
  any_arrival_ = true;
  last_arrival_ = r.arrived_at;
}

void MetricsStore::on_batch_end(const Batch& batch, int64_t num_requests, double now) {
  batch_size_.add(static_cast<double>(num_requests));
  if (!detailed_) return;
  batch_time_.add(now - batch.scheduled_at);
  batch_tokens_.add(static_cast<double>(batch.total_tokens));
  batch_prefill_.add(static_cast<double>(batch.prefill_tokens));
  batch_decode_.add(static_cast<double>(batch.decode_tokens()));
}

void MetricsStore::on_memory_usage(int32_t replica, double now, double percent) {
  memory_[static_cast<size_t>(replica)].record(now, percent);
  if (detailed_) vidur_memory_[static_cast<size_t>(replica)].record(percent);
}

void MetricsStore::on_stage_start(int32_t replica, int32_t stage, double now, double stage_flops,
                                  double stage_seconds) {
  const size_t i = index(replica, stage);
  const double tflops = fp16_tflops_[static_cast<size_t>(replica)];
  busy_[i].record(now, 100.0);
  mfu_[i].record(now, stage_flops / stage_seconds / (tflops * 1e12) * 100.0);
  if (!detailed_) return;
  vidur_busy_[i].record(now, 100.0);
  vidur_mfu_[i].record(now, vidur_mfu_percent(stage_flops, stage_seconds, tflops));
}

void MetricsStore::on_stage_end(int32_t replica, int32_t stage, double now) {
  const size_t i = index(replica, stage);
  busy_[i].record(now, 0.0);
  mfu_[i].record(now, 0.0);
  if (!detailed_) return;
  vidur_busy_[i].record(now, 0.0);
  vidur_mfu_[i].record(now, 0.0);
}

}  // namespace infersweep::sim
