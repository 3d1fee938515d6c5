#include "infersweep/sim/simulation.hpp"

#include <algorithm>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/spec/device_shape.hpp"

namespace infersweep::sim {

namespace {

// The routers' view of the replicas, read from the replica schedulers as they stand.
class LiveReplicaLoads : public ReplicaLoads {
 public:
  explicit LiveReplicaLoads(const std::vector<std::unique_ptr<ReplicaScheduler>>& replicas) : replicas_(replicas) {}
  int32_t num_replicas() const override { return static_cast<int32_t>(replicas_.size()); }
  int64_t queued(int32_t r) const override { return static_cast<int64_t>(at(r).num_queued()); }
  int64_t outstanding_tokens(int32_t r) const override { return at(r).outstanding_tokens(); }
  double kv_usage(int32_t r) const override { return at(r).memory_usage_percent() / 100.0; }
  int64_t cached_prefix_tokens(int32_t r, RequestId id) const override { return at(r).cached_prefix_tokens(id); }

 private:
  const ReplicaScheduler& at(int32_t r) const { return *replicas_[static_cast<size_t>(r)]; }
  const std::vector<std::unique_ptr<ReplicaScheduler>>& replicas_;
};

}  // namespace

Simulation::Simulation(const SimulationSetup& setup, const predict::ExecutionTimePredictor& predictor)
    : setup_(setup),
      predictor_(predictor),
      metrics_(setup.config.num_replicas, setup.config.parallel.pipeline_parallel, setup.config.record_trace,
               setup.gpu.fp16_tflops),
      num_stages_(setup.config.parallel.pipeline_parallel) {
  const auto& config = setup_.config;
  requests_.resize(setup_.requests.size());
  for (size_t i = 0; i < requests_.size(); ++i) {
    auto& r = requests_[i];
    r.id = static_cast<RequestId>(i);
    r.arrived_at = setup_.requests[i].arrived_at;
    r.num_prefill_tokens = r.original_prefill_tokens = setup_.requests[i].num_prefill_tokens;
    r.num_decode_tokens = r.original_decode_tokens = setup_.requests[i].num_decode_tokens;
  }
  const auto& registry = *setup_.replica_schedulers;
  for (int32_t rep = 0; rep < static_cast<int32_t>(config.num_replicas); ++rep) {
    ReplicaSchedulerContext context;
    context.replica_id = rep;
    context.config = config.scheduler;
    context.memory = setup_.memory;
    context.num_stages = num_stages_;
    context.max_tokens = config.workload.max_tokens;
    context.requests = &requests_;
    context.content = &setup_.requests;
    replicas_.push_back(registry.create("replica-scheduler", config.scheduler.replica_scheduler, context));
  }
  GlobalSchedulerContext global_context;
  global_context.num_replicas = static_cast<int32_t>(config.num_replicas);
  global_context.seed = config.workload.seed;
  global_context.scheduler = config.scheduler;
  global_context.kv_blocks_per_replica = replicas_.front()->blocks().num_blocks();
  global_context.requests = &setup_.requests;
  global_scheduler_ =
      builtin_global_schedulers().create("global-scheduler", config.scheduler.global_scheduler, global_context);
  stages_.resize(static_cast<size_t>(config.num_replicas * num_stages_));
  touched_scratch_.resize(static_cast<size_t>(config.num_replicas));
  // Arrivals are pre-sorted and take the first sequence numbers, so that they precede any
  // other event at the same time, exactly as if all had been pushed up front.
  first_arrival_sequence_ = events_.reserve_sequences(requests_.size());

  const auto device = spec::device_shape(setup_.model, config.parallel.tensor_parallel, num_stages_);
  parameters_per_device_ = static_cast<double>(device.parameters);
  layers_per_stage_ = static_cast<double>(device.layers_per_stage);
  q_heads_per_device_ = static_cast<double>(device.q_heads);
  head_dim_ = static_cast<double>(device.head_dim);
}

int64_t Simulation::num_blocks_per_replica() const { return replicas_.front()->blocks().num_blocks(); }

void Simulation::run() {
  const double limit = setup_.config.time_limit_s;
  const int64_t stop_after = setup_.config.stop_after_delayed_requests;
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
    if (stop_after > 0 && num_delayed_ >= stop_after) {
      stopped_early_ = true;
      break;
    }
  }
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
  }
}

void Simulation::on_request_arrival(RequestId id) {
  global_queue_.push_back(id);
  metrics_.on_request_arrival(requests_[static_cast<size_t>(id)]);
  events_.push(now_, EventType::global_schedule);
}

void Simulation::on_global_schedule() {
  if (global_queue_.empty()) return;
  std::stable_sort(global_queue_.begin(), global_queue_.end(), [this](RequestId a, RequestId b) {
    return requests_[static_cast<size_t>(a)].arrived_at < requests_[static_cast<size_t>(b)].arrived_at;
  });
  std::fill(touched_scratch_.begin(), touched_scratch_.end(), 0);
  const LiveReplicaLoads loads(replicas_);
  for (RequestId id : global_queue_) {
    const int32_t rep = global_scheduler_->choose_replica(loads, id);
    if (rep < 0 || rep >= static_cast<int32_t>(replicas_.size()))
      throw SimulationError("global scheduler chose replica " + std::to_string(rep) + " of " +
                            std::to_string(replicas_.size()));
    requests_[static_cast<size_t>(id)].replica_id = rep;
    replicas_[static_cast<size_t>(rep)]->add_request(id);
    touched_scratch_[static_cast<size_t>(rep)] = 1;
  }
  global_queue_.clear();
  for (size_t rep = 0; rep < replicas_.size(); ++rep)
    if (touched_scratch_[rep]) events_.push(now_, EventType::replica_schedule, static_cast<int32_t>(rep));
}

void Simulation::on_replica_schedule(int32_t replica) {
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  auto drafts = scheduler.on_schedule();
  check_outstanding_tokens(replica);
  if (drafts.empty()) return;
  metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
  for (auto& draft : drafts) {
    Batch b;
    b.id = next_batch_id_++;
    b.replica_id = replica;
    b.request_ids = std::move(draft.request_ids);
    b.num_tokens = std::move(draft.num_tokens);
    b.group = draft.group;
    b.scheduled_at = now_;
    for (size_t i = 0; i < b.request_ids.size(); ++i) {
      auto& r = requests_[static_cast<size_t>(b.request_ids[i])];
      b.total_tokens += b.num_tokens[i];
      if (!r.is_prefill_complete) b.prefill_tokens += b.num_tokens[i];
      const bool first_admission = !r.admitted();
      r.on_batch_schedule(now_);
      if (first_admission && r.scheduling_delay > setup_.config.stop_delay_threshold_s) ++num_delayed_;
    }
    batches_.push_back(std::move(b));
    events_.push(now_, EventType::batch_stage_arrival, replica, 0, batches_.back().id);
  }
}

void Simulation::on_batch_stage_arrival(int32_t replica, int32_t stage, BatchId id) {
  stages_[static_cast<size_t>(replica * num_stages_ + stage)].fifo.push_back(id);
  events_.push(now_, EventType::replica_stage_schedule, replica, stage);
}

double Simulation::stage_flops(const Batch& b) const {
  double attention_flops = 0;
  for (size_t i = 0; i < b.request_ids.size(); ++i) {
    const auto& r = requests_[static_cast<size_t>(b.request_ids[i])];
    const double q = static_cast<double>(b.num_tokens[i]);
    const double context = static_cast<double>(r.num_processed_tokens);
    attention_flops += 4.0 * layers_per_stage_ * q_heads_per_device_ * head_dim_ * q * (q + context);
  }
  return 2.0 * static_cast<double>(b.total_tokens) * parameters_per_device_ + attention_flops;
}

void Simulation::on_replica_stage_schedule(int32_t replica, int32_t stage) {
  auto& st = stages_[static_cast<size_t>(replica * num_stages_ + stage)];
  if (st.busy || st.fifo.empty()) return;
  const BatchId id = st.fifo.front();
  st.fifo.pop_front();
  Batch& b = batch(id);
  if (!b.has_timing) {
    try {
      b.timing = predictor_.predict(b.size(), [&](size_t i) {
        const auto& r = requests_[static_cast<size_t>(b.request_ids[i])];
        return predict::RequestSlice{r.num_processed_tokens, b.num_tokens[i], !r.is_prefill_complete};
      });
    } catch (const SimulationError& e) {
      // A lookup outside a predictor's tables names operator and key; say which batch asked.
      throw SimulationError(std::string(e.what()) + "; at t = " + format_double(now_) + " s, while timing " +
                            describe_batch(b, requests_));
    }
    b.stage_flops = stage_flops(b);
    b.has_timing = true;
  }
  const bool last = stage == num_stages_ - 1;
  const double duration = b.timing.total_time_s(last);
  st.busy = true;
  for (RequestId rid : b.request_ids) requests_[static_cast<size_t>(rid)].on_batch_stage_schedule(now_);
  metrics_.on_stage_start(replica, stage, now_, b.stage_flops, duration);
  metrics_.on_stage_span({replica, stage, b.id, static_cast<int64_t>(b.size()), b.total_tokens, now_, duration});
  events_.push(now_ + duration, EventType::batch_stage_end, replica, stage, id);
}

void Simulation::on_batch_stage_end(int32_t replica, int32_t stage, BatchId id) {
  auto& st = stages_[static_cast<size_t>(replica * num_stages_ + stage)];
  st.busy = false;
  Batch& b = batch(id);
  const bool last = stage == num_stages_ - 1;
  const double total = b.timing.total_time_s(last);
  const double model = b.timing.model_time_s(last);
  for (RequestId rid : b.request_ids) requests_[static_cast<size_t>(rid)].on_batch_stage_end(now_, total, model);
  metrics_.on_stage_end(replica, stage, now_);
  events_.push(now_, EventType::replica_stage_schedule, replica, stage);
  if (last)
    events_.push(now_, EventType::batch_end, replica, 0, id);
  else
    events_.push(now_, EventType::batch_stage_arrival, replica, stage + 1, id);
}

void Simulation::on_batch_end(int32_t replica, BatchId id) {
  Batch& b = batch(id);
  auto& scheduler = *replicas_[static_cast<size_t>(replica)];
  int64_t processed = 0;
  for (size_t i = 0; i < b.request_ids.size(); ++i) {
    auto& r = requests_[static_cast<size_t>(b.request_ids[i])];
    processed -= r.num_processed_tokens;
    const double gap = r.on_batch_end(now_, b.num_tokens[i]);
    processed += r.num_processed_tokens;
    if (gap >= 0) metrics_.on_token_gap(gap);
    if (r.completed) metrics_.on_request_completed(r);
  }
  scheduler.on_tokens_processed(processed);
  scheduler.on_batch_end(b);
  check_outstanding_tokens(replica);
  metrics_.on_batch_end(b, now_);
  metrics_.on_memory_usage(replica, now_, scheduler.memory_usage_percent());
  b.finished = true;
  release_finished_batches();
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
    batches_.pop_front();
    ++first_live_batch_;
  }
}

}  // namespace infersweep::sim
