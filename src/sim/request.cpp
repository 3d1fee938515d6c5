#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

void Request::on_batch_schedule(double now) {
  if (scheduled) return;
  const bool first_admission = !admitted();
  scheduled = true;
  // A restarted request keeps the schedule time and delay of its first admission.
  if (!first_admission) return;
  scheduled_at = now;
  scheduling_delay = now - arrived_at;
}

void Request::on_batch_stage_schedule(double now) {
  latest_stage_scheduled_at = now;
  if (has_completed_a_stage) preempted_time += now - latest_stage_completed_at;
}

void Request::on_batch_stage_end(double now, double execution_s, double model_execution_s) {
  execution_time += execution_s;
  model_execution_time += model_execution_s;
  latest_stage_completed_at = now;
  has_completed_a_stage = true;
}

double Request::on_batch_end(double now, int64_t num_tokens) {
  num_processed_tokens += num_tokens;
  const double previous_token_at = latest_iteration_completed_at;
  latest_iteration_completed_at = now;
  if (num_processed_tokens == num_prefill_tokens) {
    is_prefill_complete = true;
    num_processed_tokens += 1;  // the prefill iteration emits the first output token
    if (prefill_completed_at == 0) prefill_completed_at = now;
  }
  if (num_processed_tokens == num_prefill_tokens + num_decode_tokens) {
    completed_at = now;
    completed = true;
  }
  // A decode iteration (not the prefill one) produced a token: report the inter-token gap.
  return num_processed_tokens > num_prefill_tokens + 1 ? now - previous_token_at : -1.0;
}

void Request::restart() {
  const int64_t total = num_prefill_tokens + num_decode_tokens;
  num_prefill_tokens = num_processed_tokens;
  num_decode_tokens = total - num_prefill_tokens;
  num_processed_tokens = 0;
  scheduled = false;
  completed = false;
  is_prefill_complete = false;
  num_restarts += 1;
}

}  // namespace infersweep::sim
