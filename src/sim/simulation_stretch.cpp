// Stretches (docs/simulator.md, "Hot path"): a single-stage replica's back-to-back iterations
// computed one step each, with no batch formed and no event queued, exactly as their six events
// would compute them. The replica's scheduler tells each iteration's batch (its decodes, then a
// prompt chunk); the simulation updates the chunk's requests as any batch's and the decodes
// alike, setting once what every iteration sets alike.
#include <algorithm>
#include <cmath>
#include <limits>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/simulation.hpp"

namespace infersweep::sim {

Simulation::StretchExit Simulation::run_decode_stretch(int32_t replica) {
  const auto& st = stretches_[static_cast<size_t>(replica)];
  // A schedule while its iteration is in flight (a request arrived) forms nothing.
  if (st.suspended) return StretchExit::schedule_next;
  if (!st.active && !start_stretch(replica)) return StretchExit::schedule_next;
  return continue_stretch(replica);
}

bool Simulation::start_stretch(int32_t replica) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  auto& st = stretches_[static_cast<size_t>(replica)];
  if (!decode_stretches_ || stops_now()) return false;
  if (scheduler.num_running_batches() > 0 || !scheduler.decode_stretch(st.ids)) return false;
  // Each decode ended its last iteration now, so its next token's gap and its wait between
  // stages are the same for all.
  for (RequestId id : st.ids) {
    const auto& r = requests_[static_cast<size_t>(id)];
    if (r.latest_iteration_completed_at != now_ || !r.scheduled) return false;
    if (stage_times_ && r.latest_stage_completed_at != now_) return false;
  }
  const Pool& pool = pool_of(replica);
  // The decodes' share of the attention work is a product, the same bits as their sum.
  if (!pool.attention_in_whole_numbers()) return false;
  // The stretch changes the running requests outside any batch.
  decode_runs_[static_cast<size_t>(replica)].valid = false;
  st.active = true;
  st.stepped = false;
  st.batch.replica_id = replica;
  reset_stretch_decodes(st, pool);
  return true;
}

// The decodes' share of the batch and the countdown to their first completion, from scratch.
void Simulation::reset_stretch_decodes(Stretch& st, const Pool& pool) {
  st.decode_shape = {};
  st.until_completion = std::numeric_limits<int64_t>::max();
  for (RequestId id : st.ids) add_stretch_decode(st, pool, id);
}

// Decode `id` (in st.ids) into the decodes' share and the countdown.
void Simulation::add_stretch_decode(Stretch& st, const Pool& pool, RequestId id) {
  const auto& r = requests_[static_cast<size_t>(id)];
  pool.predictor->add_request(st.decode_shape, {r.num_processed_tokens, 1, false});
  st.until_completion = std::min(st.until_completion, r.total_tokens() - r.num_processed_tokens);
}

Simulation::StretchExit Simulation::continue_stretch(int32_t replica) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  auto& st = stretches_[static_cast<size_t>(replica)];
  auto& ids = st.ids;
  auto& chunk = st.chunk;
  const Pool& pool = pool_of(replica);
  const double per_token_pair = pool.attention_flops_per_token_pair;
  const auto& config = setup_.config;
  const double limit = config.time_limit_s;
  const size_t pool_at = pool_index(replica);
  while (true) {
    if (!scheduler.plan_stretch_step(ids, chunk)) break;
    const auto n = static_cast<int64_t>(ids.size());
    if (n == 0 && chunk.empty()) break;
    // The chunk's requests, as add_batch would read them.
    BatchWork work{*pool.predictor, per_token_pair, st.decode_shape,
                   per_token_pair * static_cast<double>(n + st.decode_shape.decode_processed_sum)};
    int64_t chunk_tokens = 0, delayed = 0;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto& r = requests_[static_cast<size_t>(chunk.request_ids[i])];
      work.add(r, chunk.num_tokens[i]);
      chunk_tokens += chunk.num_tokens[i];
      if (!r.admitted() && now_ - r.arrived_at > config.stop_delay_threshold_s) ++delayed;
    }
    if (!Pool::exact_attention(work.attention_flops)) break;
    // An admission that ends the run: the batch is formed as usual, and the run stops there.
    if (delayed > 0 && config.stop_after_delayed_requests > 0 &&
        num_delayed_ + delayed >= config.stop_after_delayed_requests)
      break;
    predict::BatchTiming timing;
    try {
      timing = timing_memos_[pool_at](work.shape);
    } catch (const SimulationError&) {
      break;  // the iteration formed as usual reports it, naming its batch
    }
    const double end = now_ + timing.total_time_s(true);
    if (limit > 0 && end > limit) {
      // The run ends within the iteration: its batch is formed, and goes on through the events.
      if (st.stepped) settle_stretch_decodes(replica, st.started, now_);
      BatchDraft draft = scheduler.form_stretch_batch(ids, chunk);
      check_outstanding_tokens(replica);
      metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
      add_batch(replica, draft);
      st.active = false;
      return StretchExit::batch_formed;
    }
    // Something else happens before the iteration ends: it starts all the same, in flight until
    // its stage's end event, which resumes the stretch.
    const bool suspends = !fires_next(end);
    // The iteration, in the order its six events would run it: schedule, arrival at the stage
    // and its start now; the stage's end, its idle schedule and the batch's end at `end`.
    st.stepped = true;
    ++stretch_counts_.iterations;
    if (!chunk.empty()) ++stretch_counts_.with_prompt_chunks;
    scheduler.take_stretch_step(ids, chunk);
    for (RequestId id : chunk.request_ids) {
      auto& r = requests_[static_cast<size_t>(id)];
      const bool first_admission = !r.admitted();
      r.on_batch_schedule(now_);
      if (first_admission && r.scheduling_delay > config.stop_delay_threshold_s) ++num_delayed_;
    }
    metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
    Batch& b = st.batch;  // no request lists: only a batch in flight needs them
    b.id = next_batch_id_++;
    b.total_tokens = n + chunk_tokens;
    b.prefill_tokens = chunk_tokens;
    b.scheduled_at = now_;
    b.timing = timing;
    b.has_timing = true;
    b.finished = false;
    b.stage_flops = pool.stage_flops(n + chunk_tokens, work.attention_flops);
    if (suspends) {
      // The batch in flight, for its end as a batch if it comes to that; its lists reuse an
      // ended batch's memory.
      Batch& in_flight = batches_.emplace_back(b);
      BatchDraft lists = scheduler.stretch_step_lists(ids, chunk);
      in_flight.request_ids = std::move(lists.request_ids);
      in_flight.num_tokens = std::move(lists.num_tokens);
    } else if (batches_.empty()) {
      ++first_live_batch_;
    } else {  // a finished place-holder keeps the live batches' ids in step
      batches_.emplace_back();
      batches_.back().id = b.id;
      batches_.back().finished = true;
    }
    if (stage_times_)
      for (RequestId id : chunk.request_ids) requests_[static_cast<size_t>(id)].on_batch_stage_schedule(now_);
    start_stage(replica, 0, b, n + static_cast<int64_t>(chunk.size()));
    st.started = now_;
    if (suspends) {
      num_events_ += 2;
      st.suspended = true;
      ++stretch_counts_.in_flight;
      scheduler.suspend_stretch_step();
      events_.push(end, EventType::batch_stage_end, replica, 0, b.id);
      return StretchExit::in_flight;
    }
    now_ = end;
    num_events_ += 6;
    end_stretch_iteration(replica);
    if (stops_early()) break;  // the iteration's batch end ends the run
  }
  end_stretch(replica);
  return StretchExit::schedule_next;
}

void Simulation::end_stretch_iteration(int32_t replica) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  auto& st = stretches_[static_cast<size_t>(replica)];
  auto& ids = st.ids;
  const auto& chunk = st.chunk;
  const auto n = static_cast<int64_t>(ids.size());
  stage_at(replica, 0).busy = false;
  metrics_.on_stage_end(replica, 0, now_);
  const double total = st.batch.timing.total_time_s(true), model = st.batch.timing.model_time_s(true);
  if (stage_times_) {
    for (RequestId id : ids) {
      auto& r = requests_[static_cast<size_t>(id)];
      r.execution_time += total;
      r.model_execution_time += model;
      ++r.num_processed_tokens;
    }
  } else {
    for (RequestId id : ids) ++requests_[static_cast<size_t>(id)].num_processed_tokens;
  }
  if (n > 0) metrics_.on_token_gaps(now_ - st.started, n);
  auto& completed = st.completed;
  completed.clear();
  if (n > 0 && --st.until_completion == 0) {
    // Those that completed leave now, with what every iteration of theirs set alike.
    for (RequestId id : ids) {
      auto& r = requests_[static_cast<size_t>(id)];
      if (r.num_processed_tokens != r.total_tokens()) continue;
      completed.push_back(id);
      r.latest_stage_scheduled_at = st.started;
      r.latest_stage_completed_at = now_;
      r.latest_iteration_completed_at = now_;
      r.has_completed_a_stage = true;
      r.completed_at = now_;
      r.completed = true;
      metrics_.on_request_completed(r);
    }
  }
  // The chunk's requests end the iteration as at any batch's end (a prompt chunk reports no
  // token gap).
  int64_t processed = n;
  for (size_t i = 0; i < chunk.size(); ++i) {
    auto& r = requests_[static_cast<size_t>(chunk.request_ids[i])];
    if (stage_times_) r.on_batch_stage_end(now_, total, model);
    processed -= r.num_processed_tokens;
    r.on_batch_end(now_, chunk.num_tokens[i]);
    processed += r.num_processed_tokens;
    if (r.completed) metrics_.on_request_completed(r);
  }
  scheduler.on_tokens_processed(processed);
  scheduler.end_stretch_step(completed, chunk, st.new_decodes);
  check_outstanding_tokens(replica);
  metrics_.on_batch_end(st.batch, n + static_cast<int64_t>(chunk.size()), now_);
  metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
  release_finished_batches();
  const Pool& pool = pool_of(replica);
  if (!completed.empty()) {
    // `completed` lists them in the order of `ids`: one walk takes them out.
    size_t kept = 0, next = 0;
    for (RequestId id : ids) {
      if (next < completed.size() && completed[next] == id)
        ++next;
      else
        ids[kept++] = id;
    }
    ids.resize(kept);
    reset_stretch_decodes(st, pool);
  } else {
    st.decode_shape.decode_processed_sum += n;
  }
  // Prompts whose prefill this iteration completed decode from the next one on, behind the
  // others, their last token out now like theirs.
  for (RequestId id : st.new_decodes) {
    ids.push_back(id);
    add_stretch_decode(st, pool, id);
  }
}

void Simulation::end_stretch(int32_t replica) {
  auto& st = stretches_[static_cast<size_t>(replica)];
  st.active = false;
  if (!st.stepped) return;
  settle_stretch_decodes(replica, st.started, now_);
  replicas_[static_cast<size_t>(replica)]->end_stretch();
}

bool Simulation::ends_suspended_stretch_iteration(int32_t replica, BatchId id) {
  auto& st = stretches_[static_cast<size_t>(replica)];
  if (!st.suspended || id != st.batch.id) return false;
  // The stage's end; its schedule and the batch's end run at once when nothing else comes
  // first, and then the replica's next schedule, as after any iteration of the stretch.
  if (!back_to_back_ || stops_now() || !fires_next(now_)) {
    ++stretch_counts_.handed_over;
    hand_over_suspended_iteration(replica);
    return false;  // the stage's end runs as any batch's
  }
  st.suspended = false;
  replicas_[static_cast<size_t>(replica)]->resume_stretch_step();
  num_events_ += 2;
  batch(id).finished = true;
  end_stretch_iteration(replica);
  if (stops_now() || !fires_next(now_)) {
    end_stretch(replica);
    events_.push(now_, EventType::replica_schedule, replica);
    return true;
  }
  ++num_events_;
  run_back_to_back(replica);
  return true;
}

void Simulation::hand_over_suspended_iteration(int32_t replica) {
  auto& st = stretches_[static_cast<size_t>(replica)];
  st.suspended = false;
  st.active = false;
  // The decodes as the iteration's start left them: scheduled on the stage then, their last
  // stage and token ended then.
  settle_stretch_decodes(replica, st.started, st.started);
  replicas_[static_cast<size_t>(replica)]->hand_over_stretch_step();
}

// What each iteration of a stretch would have set alike, set once: the last stage's start and
// end (its wait before the stage, end - end, adds 0 to the preempted time) and the last token's.
void Simulation::settle_stretch_decodes(int32_t replica, double stage_started, double iteration_ended) {
  for (RequestId id : stretches_[static_cast<size_t>(replica)].ids) {
    auto& r = requests_[static_cast<size_t>(id)];
    r.latest_stage_scheduled_at = stage_started;
    r.latest_stage_completed_at = iteration_ended;
    r.latest_iteration_completed_at = iteration_ended;
    r.has_completed_a_stage = true;
  }
}

}  // namespace infersweep::sim
