#pragma once
// One inference request and its lifecycle (Vidur's entities/request.py). Times are seconds.
#include <cstdint>

namespace infersweep::sim {

using RequestId = int64_t;

struct Request {
  RequestId id = 0;
  int32_t replica_id = -1;
  double arrived_at = 0;
  int64_t num_prefill_tokens = 0;  // grows on restart (processed tokens become the prompt)
  int64_t num_decode_tokens = 0;   // shrinks on restart
  int64_t original_prefill_tokens = 0;
  int64_t original_decode_tokens = 0;
  int64_t num_processed_tokens = 0;
  // Prompt tokens found in the prefix cache at the first admission (not prefilled).
  int64_t num_cached_prompt_tokens = 0;

  double scheduled_at = 0;
  double scheduling_delay = 0;
  double execution_time = 0;        // sum of stage times, including CPU overhead
  double model_execution_time = 0;  // sum of stage model times
  double preempted_time = 0;        // gaps between consecutive stage executions
  double completed_at = 0;
  double prefill_completed_at = 0;
  double latest_stage_scheduled_at = 0;
  double latest_stage_completed_at = 0;
  double latest_iteration_completed_at = 0;
  bool has_completed_a_stage = false;
  bool scheduled = false;
  bool completed = false;
  bool is_prefill_complete = false;
  int32_t num_restarts = 0;

  // Disaggregation (docs/disaggregation.md): a request prefilled in the prefill pool leaves its
  // replica once its first token is out, and its KV cache travels to a decode replica.
  int32_t decode_replica_id = -1;     // -1: decoded where it was prefilled
  bool handed_off = false;            // left its prefill replica for the decode pool
  double kv_transfer_started_at = 0;  // a decode replica had room for its KV; the transfer began
  double kv_transfer_ended_at = 0;    // its KV arrived at the decode replica
  double decode_started_at = 0;       // its first iteration on the decode replica was scheduled

  int64_t total_tokens() const { return num_prefill_tokens + num_decode_tokens; }
  // Scheduled at least once; a restarted request keeps its first admission.
  bool admitted() const { return scheduled || num_restarts > 0; }
  int64_t processed_decode_tokens() const {
    return num_processed_tokens > num_prefill_tokens ? num_processed_tokens - num_prefill_tokens : 0;
  }

  void on_batch_schedule(double now);
  void on_batch_stage_schedule(double now);
  void on_batch_stage_end(double now, double execution_s, double model_execution_s);
  // Returns the time since the previous token of this request (a TBT sample) when this
  // iteration produced a decode token, or a negative value otherwise.
  double on_batch_end(double now, int64_t num_tokens);
  // Memory preemption: everything computed so far becomes the new prompt.
  void restart();
};

// Inline: called for every request of every batch.
inline void Request::on_batch_schedule(double now) {
  if (scheduled) return;
  const bool first_admission = !admitted();
  scheduled = true;
  // A restarted request keeps the schedule time and delay of its first admission.
  if (!first_admission) return;
  scheduled_at = now;
  scheduling_delay = now - arrived_at;
}

inline void Request::on_batch_stage_schedule(double now) {
  latest_stage_scheduled_at = now;
  if (has_completed_a_stage) preempted_time += now - latest_stage_completed_at;
}

inline void Request::on_batch_stage_end(double now, double execution_s, double model_execution_s) {
  execution_time += execution_s;
  model_execution_time += model_execution_s;
  latest_stage_completed_at = now;
  has_completed_a_stage = true;
}

inline double Request::on_batch_end(double now, int64_t num_tokens) {
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

}  // namespace infersweep::sim
