#include "infersweep/sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sim/kv_link.hpp"
#include "infersweep/spec/device_shape.hpp"

namespace infersweep::sim {

namespace {

// The routers' view of the replicas, read from the replica schedulers as they stand.
class LiveReplicaLoads : public ReplicaLoads {
 public:
  // The replicas first, first + 1, ..., first + count - 1 (one pool), as 0 ... count - 1.
  LiveReplicaLoads(const std::vector<std::unique_ptr<ReplicaScheduler>>& replicas, int32_t first, int32_t count)
      : replicas_(replicas), first_(first), count_(count) {}
  int32_t num_replicas() const override { return count_; }
  int64_t queued(int32_t r) const override { return static_cast<int64_t>(at(r).num_queued()); }
  int64_t outstanding_tokens(int32_t r) const override { return at(r).outstanding_tokens(); }
  double kv_usage(int32_t r) const override { return at(r).memory_usage_percent() / 100.0; }
  int64_t cached_prefix_tokens(int32_t r, RequestId id) const override { return at(r).cached_prefix_tokens(id); }

 private:
  const ReplicaScheduler& at(int32_t r) const { return *replicas_[static_cast<size_t>(first_ + r)]; }
  const std::vector<std::unique_ptr<ReplicaScheduler>>& replicas_;
  int32_t first_, count_;
};

}  // namespace

namespace {

std::vector<int64_t> stages_per_replica(const SimulationSetup& setup) {
  std::vector<int64_t> stages(static_cast<size_t>(setup.config.num_replicas), setup.config.parallel.pipeline_parallel);
  if (setup.decode_pool)
    stages.insert(stages.end(), static_cast<size_t>(setup.decode_pool->config.num_replicas),
                  setup.decode_pool->config.parallel.pipeline_parallel);
  return stages;
}

std::vector<double> tflops_per_replica(const SimulationSetup& setup) {
  std::vector<double> tflops(static_cast<size_t>(setup.config.num_replicas), setup.gpu.fp16_tflops);
  if (setup.decode_pool)
    tflops.insert(tflops.end(), static_cast<size_t>(setup.decode_pool->config.num_replicas),
                  setup.decode_pool->gpu.fp16_tflops);
  return tflops;
}

}  // namespace

Simulation::Simulation(const SimulationSetup& setup, const predict::ExecutionTimePredictor& predictor,
                       const predict::ExecutionTimePredictor* decode_predictor)
    : setup_(setup),
      predictor_(predictor),
      metrics_(stages_per_replica(setup), setup.config.record_trace, tflops_per_replica(setup),
               setup.config.detailed_metrics),
      stage_times_(setup.config.detailed_metrics) {
  const auto& config = setup_.config;
  if (setup_.disaggregated() && decode_predictor == nullptr)
    throw std::invalid_argument("a disaggregated simulation needs the decode pool's predictor");
  requests_.resize(setup_.requests.size());
  for (size_t i = 0; i < requests_.size(); ++i) {
    auto& r = requests_[i];
    r.id = static_cast<RequestId>(i);
    r.arrived_at = setup_.requests[i].arrived_at;
    r.num_prefill_tokens = r.original_prefill_tokens = setup_.requests[i].num_prefill_tokens;
    r.num_decode_tokens = r.original_decode_tokens = setup_.requests[i].num_decode_tokens;
  }
  const auto& registry = *setup_.replica_schedulers;
  // One pool per setup: the deployment's own, then the decode pool's.
  std::vector<const SimulationSetup*> pool_setups = {&setup_};
  if (setup_.decode_pool) pool_setups.push_back(setup_.decode_pool.get());
  for (size_t pool = 0; pool < pool_setups.size(); ++pool) {
    const auto& ps = *pool_setups[pool];
    Pool p;
    p.predictor = pool == 0 ? &predictor_ : decode_predictor;
    p.num_stages = ps.config.parallel.pipeline_parallel;
    const auto device = spec::device_shape(ps.model, ps.config.parallel.tensor_parallel, p.num_stages);
    p.parameters_per_device = static_cast<double>(device.parameters);
    p.layers_per_stage = static_cast<double>(device.layers_per_stage);
    p.attention_flops_per_token_pair =
        4.0 * p.layers_per_stage * static_cast<double>(device.q_heads) * static_cast<double>(device.head_dim);
    pools_.push_back(p);
    timing_memos_.emplace_back(*p.predictor);
    for (int64_t i = 0; i < ps.config.num_replicas; ++i) {
      ReplicaSchedulerContext context;
      context.replica_id = static_cast<int32_t>(replicas_.size());
      context.config = ps.config.scheduler;
      context.memory = ps.memory;
      context.num_stages = p.num_stages;
      context.max_tokens = ps.config.workload.max_tokens;
      context.requests = &requests_;
      context.content = &setup_.requests;
      context.prefill_only = pool == 0 && setup_.disaggregated();
      stage_offset_.push_back(static_cast<int64_t>(stages_.size()));
      stages_.resize(stages_.size() + static_cast<size_t>(p.num_stages));
      replicas_.push_back(registry.create("replica-scheduler", ps.config.scheduler.replica_scheduler, context));
    }
  }
  num_prefill_replicas_ = static_cast<int32_t>(config.num_replicas);
  GlobalSchedulerContext global_context;
  global_context.num_replicas = num_prefill_replicas_;
  global_context.seed = config.workload.seed;
  global_context.scheduler = config.scheduler;
  global_context.kv_blocks_per_replica = replicas_.front()->blocks().num_blocks();
  global_context.requests = &setup_.requests;
  global_scheduler_ =
      builtin_global_schedulers().create("global-scheduler", config.scheduler.global_scheduler, global_context);
  if (setup_.disaggregated()) {
    const auto& decode = *setup_.decode_pool;
    GlobalSchedulerContext decode_context = global_context;
    decode_context.num_replicas = static_cast<int32_t>(decode.config.num_replicas);
    decode_context.scheduler = decode.config.scheduler;
    decode_context.kv_blocks_per_replica = replicas_.back()->blocks().num_blocks();
    decode_router_ =
        builtin_global_schedulers().create("decode-router", config.disaggregation.decode_router, decode_context);
    const KvLink link = kv_link(setup_);
    kv_bytes_per_token_ = link.bytes_per_token;
    kv_latency_s_ = link.latency_s;
    kv_path_bytes_per_s_ = link.path_bytes_per_s();
    network_ = KvTransferNetwork(
        std::vector<double>(static_cast<size_t>(num_prefill_replicas_), link.sender_bytes_per_s()),
        std::vector<double>(static_cast<size_t>(decode.config.num_replicas), link.receiver_bytes_per_s()));
    prefill_overlap_s_.assign(requests_.size(), 0.0);
  }
  touched_scratch_.resize(replicas_.size());
  stretches_.resize(replicas_.size());
  decode_runs_.resize(replicas_.size());
  // Arrivals are pre-sorted and take the first sequence numbers, so that they precede any
  // other event at the same time, exactly as if all had been pushed up front.
  first_arrival_sequence_ = events_.reserve_sequences(requests_.size());
}

int64_t Simulation::num_blocks_per_replica() const { return replicas_.front()->blocks().num_blocks(); }

void Simulation::run() {
  const double limit = setup_.config.time_limit_s;
  while (true) {
    Event e;
    const bool have_arrival = next_arrival_ < requests_.size();
    if (have_arrival && (events_.empty() || requests_[next_arrival_].arrived_at <= events_.top().time)) {
      e.time = requests_[next_arrival_].arrived_at;
      e.sequence = first_arrival_sequence_ + next_arrival_;
      e.type = EventType::request_arrival;
      e.subject = static_cast<int64_t>(next_arrival_);
      ++next_arrival_;
    } else if (!events_.empty()) {
      e = events_.pop();
    } else {
      break;
    }
    if (e.time < now_) throw SimulationError("event queue went back in time");
    now_ = e.time;
    ++num_events_;
    handle(e);
    if (limit > 0 && now_ > limit) {
      hit_time_limit_ = true;
      break;
    }
    if (stops_early()) {
      stopped_early_ = true;
      break;
    }
  }
  // An iteration still in flight is left as its batch would be.
  for (int32_t replica = 0; replica < num_replicas(); ++replica)
    if (stretches_[static_cast<size_t>(replica)].suspended) hand_over_suspended_iteration(replica);
  if (!hit_time_limit_ && !stopped_early_) {
    int64_t incomplete = 0;
    for (const auto& r : requests_) incomplete += r.completed ? 0 : 1;
    if (incomplete > 0)
      throw SimulationError(std::to_string(incomplete) + " of " + std::to_string(requests_.size()) +
                            " requests can never complete: the scheduler stalled with work left" + stall_cause());
  }
}

std::string Simulation::stall_cause() const {
  for (const auto& r : requests_) {
    if (r.completed || r.admitted()) continue;
    const std::string reason = admission_refusal(setup_, r.original_prefill_tokens, r.original_decode_tokens);
    if (!reason.empty())
      return "; the first request that can never be admitted is request " + std::to_string(r.id) + ", " + reason;
  }
  return "";
}

void Simulation::handle(const Event& e) {
  switch (e.type) {
    case EventType::request_arrival:
      on_request_arrival(e.subject);
      break;
    case EventType::global_schedule:
      on_global_schedule();
      break;
    case EventType::replica_schedule:
      on_replica_schedule(e.replica);
      break;
    case EventType::batch_stage_arrival:
      on_batch_stage_arrival(e.replica, e.stage, e.subject);
      break;
    case EventType::replica_stage_schedule:
      on_replica_stage_schedule(e.replica, e.stage);
      break;
    case EventType::batch_stage_end:
      on_batch_stage_end(e.replica, e.stage, e.subject);
      break;
    case EventType::batch_end:
      on_batch_end(e.replica, e.subject);
      break;
    case EventType::kv_transfer_progress:
      on_kv_transfer_progress(static_cast<uint64_t>(e.subject));
      break;
    case EventType::kv_arrival:
      on_kv_arrival(e.replica, e.subject);
      break;
  }
}

void Simulation::on_request_arrival(RequestId id) {
  global_queue_.push_back(id);
  metrics_.on_request_arrival(requests_[static_cast<size_t>(id)]);
  events_.push(now_, EventType::global_schedule);
}

void Simulation::on_global_schedule() {
  if (global_queue_.empty()) return;
  const auto by_arrival = [this](RequestId a, RequestId b) {
    return requests_[static_cast<size_t>(a)].arrived_at < requests_[static_cast<size_t>(b)].arrived_at;
  };
  if (!std::is_sorted(global_queue_.begin(), global_queue_.end(), by_arrival))
    std::stable_sort(global_queue_.begin(), global_queue_.end(), by_arrival);
  std::fill(touched_scratch_.begin(), touched_scratch_.end(), 0);
  const LiveReplicaLoads loads(replicas_, 0, num_prefill_replicas_);
  for (RequestId id : global_queue_) {
    const int32_t rep = global_scheduler_->choose_replica(loads, id);
    if (rep < 0 || rep >= num_prefill_replicas_)
      throw SimulationError("global scheduler chose replica " + std::to_string(rep) + " of " +
                            std::to_string(num_prefill_replicas_));
    requests_[static_cast<size_t>(id)].replica_id = rep;
    replicas_[static_cast<size_t>(rep)]->add_request(id);
    touched_scratch_[static_cast<size_t>(rep)] = 1;
  }
  global_queue_.clear();
  for (size_t rep = 0; rep < replicas_.size(); ++rep)
    if (touched_scratch_[rep]) events_.push(now_, EventType::replica_schedule, static_cast<int32_t>(rep));
}

void Simulation::on_replica_schedule(int32_t replica) {
  if (runs_back_to_back(replica)) {
    run_back_to_back(replica);
    return;
  }
  const int64_t formed = form_batches(replica);
  // Only the last batch's arrival may run at once: an earlier one's stage schedule would run
  // before the later arrivals are queued.
  for (BatchId id = next_batch_id_ - formed; id < next_batch_id_; ++id) {
    const Event arrival{now_, events_.reserve_sequences(1), EventType::batch_stage_arrival, replica, 0, id};
    if (id + 1 == next_batch_id_)
      run_or_queue(arrival);
    else
      events_.push(arrival);
  }
}

int64_t Simulation::form_batches(int32_t replica) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  auto& drafts = scheduler.on_schedule();
  check_outstanding_tokens(replica);
  if (drafts.empty()) return 0;
  metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
  for (auto& draft : drafts) add_batch(replica, draft);
  return static_cast<int64_t>(drafts.size());
}

void Simulation::add_batch(int32_t replica, BatchDraft& draft) {
  Batch b;
  b.id = next_batch_id_++;
  b.replica_id = replica;
  b.request_ids = std::move(draft.request_ids);
  b.num_tokens = std::move(draft.num_tokens);
  b.group = draft.group;
  b.scheduled_at = now_;
  const Pool& pool = pool_of(replica);
  // Sums and loop constants in locals: the requests' updates below would otherwise make the
  // compiler keep the sums in memory and reload the constants at every step.
  BatchWork work{*pool.predictor, pool.attention_flops_per_token_pair};
  const double now = now_;
  const double delay_threshold = setup_.config.stop_delay_threshold_s;
  Request* const requests = requests_.data();
  const size_t size = b.request_ids.size();
  const RequestId* const ids = b.request_ids.data();
  const int64_t* const num_tokens = b.num_tokens.data();
  int64_t total_tokens = 0, prefill_tokens = 0, delayed = 0;
  // The replica's decode run at the front: scheduled before and unchanged since their last
  // token, so recording their schedule changes nothing, and their share of the work is sums.
  const size_t known = take_decode_run(replica, b);
  if (known > 0) {
    const DecodeRun& run = decode_runs_[static_cast<size_t>(replica)];
    const auto count = static_cast<int64_t>(known);
    predict::ExecutionTimePredictor::add_decodes(work.shape, count, run.processed_sum);
    work.attention_flops = work.per_token_pair * static_cast<double>(count + run.processed_sum);
    b.leading_decodes = {count, run.processed_sum, run.until_completion, run.ended_at};
    total_tokens = count;
  }
  for (size_t i = known; i < size; ++i) {
    auto& r = requests[static_cast<size_t>(ids[i])];
    const int64_t tokens = num_tokens[i];
    total_tokens += tokens;
    if (!r.is_prefill_complete) prefill_tokens += tokens;
    work.add(r, tokens);
    const bool first_admission = !r.admitted();
    if (r.handed_off && r.decode_started_at == 0) r.decode_started_at = now;
    r.on_batch_schedule(now);
    if (first_admission && r.scheduling_delay > delay_threshold) ++delayed;
  }
  num_delayed_ += delayed;
  b.total_tokens = total_tokens;
  b.prefill_tokens = prefill_tokens;
  // Summed request by request above 2^53, where the run's product might round otherwise.
  if (known > 0 && !Pool::exact_attention(work.attention_flops)) {
    BatchWork each{*pool.predictor, pool.attention_flops_per_token_pair};
    for (size_t i = 0; i < size; ++i) each.add(requests[static_cast<size_t>(ids[i])], num_tokens[i]);
    work.attention_flops = each.attention_flops;
  }
  // Timed now: its requests change only at its end. A batch the predictor cannot time is timed
  // again when it starts, and fails there, naming itself; one that never starts (the run ends
  // first) fails nothing.
  try {
    set_timing(b, pool_index(replica), work);
  } catch (const SimulationError&) {
  }
  batches_.push_back(std::move(b));
}

size_t Simulation::take_decode_run(int32_t replica, const Batch& b) {
  DecodeRun& run = decode_runs_[static_cast<size_t>(replica)];
  if (!run.valid || !decode_runs_on_) return 0;
  run.valid = false;
  const size_t n = run.count;
  if (n == 0 || n > b.size() || replicas_[static_cast<size_t>(replica)]->num_preemptions() != run.preemptions) return 0;
  // Their attention work as one product equals the sum request by request only in whole numbers.
  if (!pool_of(replica).attention_in_whole_numbers()) return 0;
  // Both tests without an early exit, so that they run on whole vector registers.
  const int64_t* const tokens = b.num_tokens.data();
  int64_t others = 0;
  for (size_t i = 0; i < n; ++i) others |= tokens[i] ^ 1;
  if (others != 0 ||
      !std::equal(run.ids.begin(), run.ids.begin() + static_cast<std::ptrdiff_t>(n), b.request_ids.begin()))
    return 0;
  ++num_decode_run_batches_;
  return n;
}

bool Simulation::stops_early() const {
  const auto& c = setup_.config;
  return (c.stop_after_delayed_requests > 0 && num_delayed_ >= c.stop_after_delayed_requests) ||
         (c.stop_after_completed_requests > 0 &&
          static_cast<int64_t>(metrics_.completed().size()) >= c.stop_after_completed_requests);
}

bool Simulation::stops_now() const {
  const double limit = setup_.config.time_limit_s;
  return (limit > 0 && now_ > limit) || stops_early();
}

bool Simulation::comes_first(double time, uint64_t sequence) const {
  if (!events_.empty()) {
    const Event& top = events_.top();
    if (top.time < time || (top.time == time && top.sequence < sequence)) return false;
  }
  // Arrivals' sequence numbers come before every created event's.
  return next_arrival_ >= requests_.size() || time < requests_[next_arrival_].arrived_at;
}

bool Simulation::fires_next(double time) const {
  // An event created now has the highest sequence number: one queued or arriving at the same
  // time fires before it.
  return comes_first(time, std::numeric_limits<uint64_t>::max());
}

void Simulation::run_or_queue(const Event& e) {
  if (back_to_back_ && !stops_now() && comes_first(now_, e.sequence)) {
    ++num_events_;
    handle(e);
  } else {
    events_.push(e);
  }
}

bool Simulation::runs_back_to_back(int32_t replica) const {
  // A disaggregated batch end may start transfers after the replica's next schedule is due;
  // with more stages, batches overlap.
  return back_to_back_ && !setup_.disaggregated() && pool_of(replica).num_stages == 1;
}

void Simulation::run_back_to_back(int32_t replica) {
  const double limit = setup_.config.time_limit_s;
  auto& stage = stage_at(replica, 0);
  while (true) {
    const StretchExit stretch = run_decode_stretch(replica);
    if (stretch == StretchExit::in_flight) return;
    const bool formed = stretch == StretchExit::batch_formed;
    if (!formed && stops_early()) {
      // The stretch's last batch end ended the run. The replica's next schedule, counted with
      // that iteration's events as the one the stretch would run next, waits in the queue.
      --num_events_;
      events_.push(now_, EventType::replica_schedule, replica);
      return;
    }
    if (!formed && form_batches(replica) == 0) return;
    const BatchId id = next_batch_id_ - 1;
    // The batch's arrival at the stage and the stage's schedule, both now.
    if (stops_now() || !fires_next(now_)) {
      events_.push(now_, EventType::batch_stage_arrival, replica, 0, id);
      return;
    }
    num_events_ += 2;
    Batch& b = batch(id);
    record_stage_schedule(b);
    if (!b.has_timing) time_batch(b, pool_index(replica));
    const double duration = start_stage(replica, 0, b, static_cast<int64_t>(b.size()));
    const double end = now_ + duration;
    // The stage's end; then, at the same time, its schedule (nothing waits for it: one batch is
    // in flight) and the batch's end.
    if (!fires_next(end) || (limit > 0 && end > limit)) {
      events_.push(end, EventType::batch_stage_end, replica, 0, id);
      return;
    }
    now_ = end;
    num_events_ += 3;
    stage.busy = false;
    metrics_.on_stage_end(replica, 0, now_);
    finish_batch(replica, b, end_batch_requests(b, /*ends_stage=*/true));
    // The replica's next schedule, now.
    if (stops_now() || !fires_next(now_)) {
      events_.push(now_, EventType::replica_schedule, replica);
      return;
    }
    ++num_events_;
  }
}

void Simulation::on_batch_stage_arrival(int32_t replica, int32_t stage, BatchId id) {
  stage_at(replica, stage).fifo.push_back(id);
  run_or_queue({now_, events_.reserve_sequences(1), EventType::replica_stage_schedule, replica, stage, 0});
}

void Simulation::time_batch(Batch& b, size_t pool_index) {
  const Pool& pool = pools_[pool_index];
  BatchWork work{*pool.predictor, pool.attention_flops_per_token_pair};
  for (size_t i = 0; i < b.request_ids.size(); ++i)
    work.add(requests_[static_cast<size_t>(b.request_ids[i])], b.num_tokens[i]);
  try {
    set_timing(b, pool_index, work);
  } catch (const SimulationError& e) {
    // A lookup outside a predictor's tables names operator and key; say which batch asked.
    throw SimulationError(std::string(e.what()) + "; at t = " + format_double(now_) + " s, while timing " +
                          describe_batch(b, requests_));
  }
}

void Simulation::set_timing(Batch& b, size_t pool_index, const BatchWork& work) {
  b.timing = timing_memos_[pool_index](work.shape);
  b.stage_flops = pools_[pool_index].stage_flops(b.total_tokens, work.attention_flops);
  b.has_timing = true;
}

void Simulation::on_replica_stage_schedule(int32_t replica, int32_t stage) {
  auto& st = stage_at(replica, stage);
  if (st.busy || st.fifo.empty()) return;
  const BatchId id = st.fifo.front();
  st.fifo.pop_front();
  Batch& b = batch(id);
  record_stage_schedule(b);
  if (!b.has_timing) time_batch(b, pool_index(replica));
  const double duration = start_stage(replica, stage, b, static_cast<int64_t>(b.size()));
  events_.push(now_ + duration, EventType::batch_stage_end, replica, stage, id);
}

void Simulation::record_stage_schedule(const Batch& b) {
  if (!stage_times_) return;
  for (RequestId id : b.request_ids) requests_[static_cast<size_t>(id)].on_batch_stage_schedule(now_);
}

double Simulation::start_stage(int32_t replica, int32_t stage, const Batch& b, int64_t num_requests) {
  const bool last = stage == pool_of(replica).num_stages - 1;
  const double duration = b.timing.total_time_s(last);
  stage_at(replica, stage).busy = true;
  metrics_.on_stage_start(replica, stage, now_, b.stage_flops, duration);
  metrics_.on_stage_span({replica, stage, b.id, num_requests, b.total_tokens, now_, duration});
  return duration;
}

void Simulation::on_batch_stage_end(int32_t replica, int32_t stage, BatchId id) {
  if (ends_suspended_stretch_iteration(replica, id)) return;
  auto& st = stage_at(replica, stage);
  st.busy = false;
  Batch& b = batch(id);
  const bool last = stage == pool_of(replica).num_stages - 1;
  const double total = b.timing.total_time_s(last);
  const double model = b.timing.model_time_s(last);
  if (stage_times_)
    for (RequestId rid : b.request_ids) requests_[static_cast<size_t>(rid)].on_batch_stage_end(now_, total, model);
  metrics_.on_stage_end(replica, stage, now_);
  // The stage's schedule runs before the batch moves on; it reads nothing of the queue, so it
  // may run at once although the batch's event, created after it, is not queued yet.
  const Event schedule{now_, events_.reserve_sequences(1), EventType::replica_stage_schedule, replica, stage, 0};
  const uint64_t moves_on = events_.reserve_sequences(1);
  run_or_queue(schedule);
  if (last)
    run_or_queue({now_, moves_on, EventType::batch_end, replica, 0, id});
  else
    run_or_queue({now_, moves_on, EventType::batch_stage_arrival, replica, stage + 1, id});
}

void Simulation::on_batch_end(int32_t replica, BatchId id) {
  Batch& b = batch(id);
  finish_batch(replica, b, end_batch_requests(b, /*ends_stage=*/false));
  if (runs_back_to_back(replica) && !stops_now() && fires_next(now_)) {
    ++num_events_;
    on_replica_schedule(replica);
    return;
  }
  events_.push(now_, EventType::replica_schedule, replica);
  // New requests to send, or room freed on a decode replica for those waiting.
  if (!kv_waiting_.empty()) start_transfers();
}

int64_t Simulation::end_batch_requests(const Batch& b, bool ends_stage) {
  // A prefill replica of a disaggregated deployment hands over the requests whose prefill this
  // batch completed (their first token is out) to the decode pool.
  const bool hands_off = setup_.disaggregated() && !is_decode_replica(b.replica_id);
  handed_off_scratch_.clear();
  const double stage_total = b.timing.total_time_s(true);
  const double stage_model = b.timing.model_time_s(true);
  // The stage's end first, in a pass of its own (no step below reads a request's stage times
  // before its completion is recorded), so that the pass every batch makes tests nothing more.
  if (ends_stage && stage_times_)
    for (RequestId id : b.request_ids)
      requests_[static_cast<size_t>(id)].on_batch_stage_end(now_, stage_total, stage_model);
  int64_t processed = 0;
  // Runs of equal gaps (the requests that also decoded in this replica's previous batch) go to
  // the sketch in one call, in the same order.
  double run_gap = -1;
  int64_t run_length = 0;
  // In locals: the stores to the requests would otherwise make each step reload them.
  const double now = now_;
  Request* const requests = requests_.data();
  const size_t size = b.request_ids.size();
  const RequestId* const ids = b.request_ids.data();
  const int64_t* const tokens = b.num_tokens.data();
  // The decodes this end leaves running, in batch order, for the replica's next batch; none
  // when its requests leave it after their prefill.
  DecodeRun& run = decode_runs_[static_cast<size_t>(b.replica_id)];
  if (run.ids.size() < size) run.ids.resize(size);  // only grows
  RequestId* const staying = run.ids.data();
  size_t num_staying = 0;
  int64_t staying_processed = 0, until_completion = std::numeric_limits<int64_t>::max();
  // The last batch end's decodes, none completing now: a token each, one gap for all, and they
  // stay, in the same order.
  const size_t known = b.known_staying();
  if (known > 0) {
    const Batch::LeadingDecodes& lead = b.leading_decodes;
    for (size_t i = 0; i < known; ++i) {
      auto& r = requests[static_cast<size_t>(ids[i])];
      ++r.num_processed_tokens;
      r.latest_iteration_completed_at = now;
    }
    processed = lead.count;
    run_gap = now - lead.last_token_at;
    run_length = lead.count;
    std::copy(ids, ids + known, staying);
    num_staying = known;
    staying_processed = lead.processed_sum + lead.count;
    until_completion = lead.until_completion - 1;
  }
  for (size_t i = known; i < size; ++i) {
    auto& r = requests[static_cast<size_t>(ids[i])];
    const bool was_prefilling = !r.is_prefill_complete;
    processed -= r.num_processed_tokens;
    const double gap = r.on_batch_end(now, tokens[i]);
    processed += r.num_processed_tokens;
    if (gap >= 0) {
      if (gap == run_gap) {
        ++run_length;
      } else {
        metrics_.on_token_gaps(run_gap, run_length);
        run_gap = gap;
        run_length = 1;
      }
    }
    if (r.completed) {
      metrics_.on_request_completed(r);
    } else if (r.is_prefill_complete) {
      staying[num_staying++] = r.id;
      staying_processed += r.num_processed_tokens;
      until_completion = std::min(until_completion, r.total_tokens() - r.num_processed_tokens);
      if (hands_off && was_prefilling) handed_off_scratch_.push_back(r.id);
    }
  }
  metrics_.on_token_gaps(run_gap, run_length);
  run.count = num_staying;
  run.ended_at = now;
  run.processed_sum = staying_processed;
  run.until_completion = until_completion;
  run.preemptions = replicas_[static_cast<size_t>(b.replica_id)]->num_preemptions();
  run.valid = !hands_off;
  return processed;
}

void Simulation::finish_batch(int32_t replica, Batch& b, int64_t processed) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  scheduler.on_tokens_processed(processed);
  scheduler.on_batch_end(b);
  if (!handed_off_scratch_.empty()) {
    // The last stage's time of this batch: the window a layerwise send overlaps.
    const double last_stage_s = b.timing.total_time_s(true);
    for (RequestId rid : handed_off_scratch_) {
      auto& r = requests_[static_cast<size_t>(rid)];
      scheduler.hand_off(rid);
      r.handed_off = true;
      prefill_overlap_s_[static_cast<size_t>(rid)] = last_stage_s;
      kv_waiting_.push_back(rid);
    }
  }
  check_outstanding_tokens(replica);
  metrics_.on_batch_end(b, static_cast<int64_t>(b.size()), now_);
  metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
  b.finished = true;
  release_finished_batches();
}

void Simulation::start_transfers() {
  const int32_t num_decode = num_replicas() - num_prefill_replicas_;
  const LiveReplicaLoads loads(replicas_, num_prefill_replicas_, num_decode);
  const bool layerwise = setup_.config.disaggregation.kv_transfer == "layerwise";
  const bool instant = setup_.config.disaggregation.kv_transfer == "none";
  bool started = false;
  // In order: a request that finds no room waits, and so do the ones behind it.
  while (!kv_waiting_.empty()) {
    const RequestId id = kv_waiting_.front();
    const int32_t chosen = decode_router_->choose_replica(loads, id);
    if (chosen < 0 || chosen >= num_decode)
      throw SimulationError("decode router chose decode replica " + std::to_string(chosen) + " of " +
                            std::to_string(num_decode));
    const int32_t replica = num_prefill_replicas_ + chosen;
    auto& decode = *replicas_[static_cast<size_t>(replica)];
    if (!decode.can_reserve_prefilled(id)) break;
    kv_waiting_.pop_front();
    auto& r = requests_[static_cast<size_t>(id)];
    decode.reserve_prefilled(id);
    metrics_.on_memory_usage(replica, now_, decode.memory_usage_percent());
    r.decode_replica_id = replica;
    r.kv_transfer_started_at = now_;
    if (instant) {
      auto& prefill = *replicas_[static_cast<size_t>(r.replica_id)];
      prefill.release_handed_off(id);
      metrics_.on_memory_usage(r.replica_id, now_, prefill.memory_usage_percent());
      events_.push(now_, EventType::replica_schedule, r.replica_id);
      events_.push(now_, EventType::kv_arrival, replica, 0, id);
      continue;
    }
    double bytes = kv_bytes_per_token_ * static_cast<double>(r.num_prefill_tokens);
    // Sent layer by layer from the last prefill iteration on: what is left once it ends is what
    // the link could not carry while it ran, and at least the last layer's share.
    if (layerwise && now_ == r.prefill_completed_at) {
      const double layers = pool_of(r.replica_id).layers_per_stage;
      const double overlapped =
          kv_path_bytes_per_s_ * prefill_overlap_s_[static_cast<size_t>(id)] * (layers - 1.0) / layers;
      bytes = std::max(bytes / layers, bytes - overlapped);
    }
    network_.start(now_, id, r.replica_id, chosen, bytes);
    started = true;
  }
  if (started) schedule_transfer_progress();
}

void Simulation::schedule_transfer_progress() {
  if (network_.num_active() == 0) return;
  events_.push(network_.next_completion(), EventType::kv_transfer_progress, 0, 0,
               static_cast<int64_t>(network_.version()));
}

void Simulation::on_kv_transfer_progress(uint64_t version) {
  if (version != network_.version()) return;  // foreseen before a transfer started or ended
  transferred_scratch_.clear();
  network_.complete(now_, transferred_scratch_);
  for (RequestId id : transferred_scratch_) {
    const auto& r = requests_[static_cast<size_t>(id)];
    auto& prefill = *replicas_[static_cast<size_t>(r.replica_id)];
    prefill.release_handed_off(id);
    metrics_.on_memory_usage(r.replica_id, now_, prefill.memory_usage_percent());
    events_.push(now_, EventType::replica_schedule, r.replica_id);
    events_.push(now_ + kv_latency_s_, EventType::kv_arrival, r.decode_replica_id, 0, id);
  }
  schedule_transfer_progress();
}

void Simulation::on_kv_arrival(int32_t replica, RequestId id) {
  auto& r = requests_[static_cast<size_t>(id)];
  r.kv_transfer_ended_at = now_;
  metrics_.on_transfer_span({id, r.replica_id, replica, r.kv_transfer_started_at, now_});
  replicas_[static_cast<size_t>(replica)]->admit_prefilled(id);
  events_.push(now_, EventType::replica_schedule, replica);
}

void Simulation::check_outstanding_tokens(int32_t replica) const {
  const int64_t outstanding = replicas_[static_cast<size_t>(replica)]->outstanding_tokens();
  if (outstanding < 0)
    throw SimulationError("replica " + std::to_string(replica) + " counts " + std::to_string(outstanding) +
                          " outstanding tokens at t = " + format_double(now_) +
                          ": more tokens processed (or found cached) than were given to it");
}

void Simulation::release_finished_batches() {
  while (!batches_.empty() && batches_.front().finished) {
    Batch& b = batches_.front();
    replicas_[static_cast<size_t>(b.replica_id)]->recycle(std::move(b.request_ids), std::move(b.num_tokens));
    batches_.pop_front();
    ++first_live_batch_;
  }
}

}  // namespace infersweep::sim
