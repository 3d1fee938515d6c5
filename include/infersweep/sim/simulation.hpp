#pragma once
// A discrete-event simulation of one serving deployment: requests arrive, the global scheduler
// routes them, each replica's scheduler forms batches, and pipeline stages run them. A
// Simulation owns all of its state, so any number can run at once in one process.
#include <cmath>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "infersweep/predict/batch_timing_memo.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/event_queue.hpp"
#include "infersweep/sim/global_scheduler.hpp"
#include "infersweep/sim/kv_transfer_network.hpp"
#include "infersweep/sim/metrics_store.hpp"
#include "infersweep/sim/replica_scheduler.hpp"
#include "infersweep/sim/simulation_config.hpp"

namespace infersweep::sim {

class Simulation {
 public:
  // The predictor must outlive the simulation; it is shared read-only, so one predictor can
  // serve many simulations of the same (model, GPU, node, TP, PP). A disaggregated setup also
  // needs the decode pool's (that of decode_pool_config); it may be the same object.
  Simulation(const SimulationSetup& setup, const predict::ExecutionTimePredictor& predictor,
             const predict::ExecutionTimePredictor* decode_predictor = nullptr);

  // Runs until no event is left or the time limit is passed. Throws SimulationError if
  // requests are left that can never complete.
  void run();
  // Whether a single-stage replica runs its iterations back to back, outside the event queue,
  // while nothing else can happen before each one ends, and a batch's events at the same time
  // (a stage's end, the stage's schedule, its arrival at the next stage) run at once when the
  // queue would run them next (the default). The results are the same either way; turning it
  // off runs every event through the queue, for differential tests.
  void set_back_to_back(bool on) { back_to_back_ = on; }
  // Whether back-to-back iterations run decode stretches in one step each (the default; same
  // results).
  void set_decode_stretches(bool on) { decode_stretches_ = on; }
  // Whether a batch that begins with the decodes its replica's previous batch end left running,
  // in the same order, is timed and ended from their sums instead of request by request (the
  // default; same results).
  void set_decode_runs(bool on) { decode_runs_on_ = on; }

  const std::vector<Request>& requests() const { return requests_; }
  const MetricsStore& metrics() const { return metrics_; }
  const SimulationSetup& setup() const { return setup_; }
  double end_time() const { return now_; }
  int64_t num_events() const { return num_events_; }
  int64_t num_batches() const { return next_batch_id_; }
  // Iterations run in stretches (set_decode_stretches), each one batch of num_batches: all of
  // them, those with a prompt chunk, those in flight while something else happened, and of
  // these the ones handed over to end as batches through the events.
  struct StretchCounts {
    int64_t iterations = 0, with_prompt_chunks = 0, in_flight = 0, handed_over = 0;
  };
  const StretchCounts& stretch_counts() const { return stretch_counts_; }
  int64_t num_stretch_iterations() const { return stretch_counts_.iterations; }
  // Batches formed with a decode run at their front (set_decode_runs).
  int64_t num_decode_run_batches() const { return num_decode_run_batches_; }
  bool hit_time_limit() const { return hit_time_limit_; }
  // True when an early-stop rule of the configuration (delayed or completed requests) ended the run.
  bool stopped_early() const { return stopped_early_; }
  const predict::ExecutionTimePredictor& predictor() const { return predictor_; }
  int64_t num_blocks_per_replica() const;
  const ReplicaScheduler& replica_scheduler(int32_t replica) const { return *replicas_[static_cast<size_t>(replica)]; }
  // Replicas of the prefill pool (all of them when not disaggregated) come first, then the
  // decode pool's.
  int32_t num_replicas() const { return static_cast<int32_t>(replicas_.size()); }
  int32_t num_prefill_replicas() const { return num_prefill_replicas_; }
  bool is_decode_replica(int32_t replica) const { return replica >= num_prefill_replicas_; }
  // Requests prefilled and waiting for a decode replica with room (at the end: should be none).
  size_t num_waiting_for_decode() const { return kv_waiting_.size(); }
  // Bytes of KV cache one token takes for the whole model (what a transfer sends per token).
  double kv_bytes_per_token() const { return kv_bytes_per_token_; }

 private:
  struct Stage {
    std::deque<BatchId> fifo;
    bool busy = false;
  };
  // What differs between the replicas of the prefill and the decode pool.
  struct Pool {
    const predict::ExecutionTimePredictor* predictor = nullptr;
    int64_t num_stages = 1;
    // For MFU: weights per GPU, and a stage's attention work on one GPU per (query token,
    // context token) pair.
    double parameters_per_device = 0, layers_per_stage = 0, attention_flops_per_token_pair = 0;

    // One stage's work for a batch of `total_tokens` whose attention work is `attention_flops`.
    double stage_flops(int64_t total_tokens, double attention_flops) const {
      return 2.0 * static_cast<double>(total_tokens) * parameters_per_device + attention_flops;
    }
    // A batch's attention work, summed request by request, is then a sum of whole numbers,
    // exact while below 2^53 (exact_attention): any grouping of its terms (the decodes' share as
    // one product) gives the same bits.
    bool attention_in_whole_numbers() const {
      return attention_flops_per_token_pair >= 0 &&
             attention_flops_per_token_pair == std::floor(attention_flops_per_token_pair);
    }
    static bool exact_attention(double attention_flops) { return attention_flops < 9007199254740992.0; }
  };

  // What a batch's timing and MFU read of its requests, as they stand when it is formed (they
  // change only at its end), summed request by request in batch order: the predictor's shape and
  // one stage's attention work.
  struct BatchWork {
    const predict::ExecutionTimePredictor& predictor;
    double per_token_pair = 0;
    predict::BatchShape shape{};
    double attention_flops = 0;

    void add(const Request& r, int64_t tokens) {
      predictor.add_request(shape, {r.num_processed_tokens, tokens, !r.is_prefill_complete});
      const double q = static_cast<double>(tokens);
      attention_flops += per_token_pair * q * (q + static_cast<double>(r.num_processed_tokens));
    }
  };

  void handle(const Event& e);
  void on_request_arrival(RequestId id);
  void on_global_schedule();
  void on_replica_schedule(int32_t replica);
  void on_batch_stage_arrival(int32_t replica, int32_t stage, BatchId batch);
  void on_replica_stage_schedule(int32_t replica, int32_t stage);
  void on_batch_stage_end(int32_t replica, int32_t stage, BatchId batch);
  void on_batch_end(int32_t replica, BatchId batch);
  // Disaggregation: prefilled requests wait in order for a decode replica with room, then send
  // their KV over the network; a transfer's end is foreseen under the network's version.
  void start_transfers();
  void on_kv_transfer_progress(uint64_t version);
  void on_kv_arrival(int32_t replica, RequestId id);
  void schedule_transfer_progress();

  size_t pool_index(int32_t replica) const { return is_decode_replica(replica) ? 1 : 0; }
  const Pool& pool_of(int32_t replica) const { return pools_[pool_index(replica)]; }
  Stage& stage_at(int32_t replica, int32_t stage) {
    return stages_[static_cast<size_t>(stage_offset_[static_cast<size_t>(replica)] + stage)];
  }
  Batch& batch(BatchId id) { return batches_[static_cast<size_t>(id - first_live_batch_)]; }
  // The replica's scheduler forms its next batches (one per free pipeline slot) now; returns
  // how many, the last ids handed out.
  int64_t form_batches(int32_t replica);
  // A batch from a scheduler's draft, scheduled now: its requests' schedule recorded.
  void add_batch(int32_t replica, BatchDraft& draft);
  // Times a batch that add_batch could not (the predictor failed): fails as the predictor does,
  // naming the batch and the time.
  void time_batch(Batch& b, size_t pool_index);
  // The batch's timing and one stage's work, from `work`; throws the predictor's errors.
  void set_timing(Batch& b, size_t pool_index, const BatchWork& work);
  // The batch's requests start a stage now (their stage times, where kept).
  void record_stage_schedule(const Batch& b);
  // Marks the stage busy with `b`, of `num_requests` requests, and records its start; returns
  // the stage's time for it.
  double start_stage(int32_t replica, int32_t stage, const Batch& b, int64_t num_requests);
  // The requests' side of a batch's end (with `ends_stage`, of its single stage's end too);
  // returns the tokens processed. finish_batch is the scheduler's and the metrics' side.
  int64_t end_batch_requests(const Batch& b, bool ends_stage);
  void finish_batch(int32_t replica, Batch& b, int64_t processed);
  // Back-to-back iterations (set_back_to_back). An event for `time` with sequence number
  // `sequence` fires next: nothing queued or arriving comes before it.
  bool comes_first(double time, uint64_t sequence) const;
  // An event created now for `time` (so with the highest sequence number) fires next.
  bool fires_next(double time) const;
  // An event for now, created with `sequence`: handled at once when the queue would run it
  // next (and the run goes on after the current event), else queued. Its handler must be the
  // last thing the current handler does, or be indifferent to the events created after it.
  void run_or_queue(const Event& e);
  // The run ends after the current event: past the time limit, or an early-stop rule met.
  bool stops_now() const;
  bool stops_early() const;
  bool runs_back_to_back(int32_t replica) const;
  // From the schedule of a single-stage replica (its event has fired): its iterations, event
  // by event as the queue would run them, until one would not fire next; that one is queued.
  void run_back_to_back(int32_t replica);
  // Stretches (simulation_stretch.cpp): from the same point, the iterations of a stretch
  // (ReplicaScheduler::decode_stretch), each in one step with no batch formed and no event
  // queued, while the next ends before anything else happens. Returns how it left the replica:
  // its next schedule due now (schedule_next); the next iteration's batch formed (the last of
  // batches_) to go on through the events, the run's time limit falling within it
  // (batch_formed); or the next iteration started and in flight (in_flight): something else
  // happens first, and the stage's end event resumes the stretch.
  enum class StretchExit { schedule_next, batch_formed, in_flight };
  StretchExit run_decode_stretch(int32_t replica);
  bool start_stretch(int32_t replica);
  StretchExit continue_stretch(int32_t replica);
  // The current iteration's end, from the stage's end to the batch's.
  void end_stretch_iteration(int32_t replica);
  void end_stretch(int32_t replica);
  // The stage's end of a suspended iteration (`id`): returns false for any other batch.
  bool ends_suspended_stretch_iteration(int32_t replica, BatchId id);
  // A suspended iteration becomes the batch in flight it stands for, its stretch ended.
  void hand_over_suspended_iteration(int32_t replica);
  // What each iteration of a stretch set alike, set once.
  void settle_stretch_decodes(int32_t replica, double stage_started, double iteration_ended);
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
  int32_t num_prefill_replicas_ = 0;
  std::vector<Pool> pools_;                             // the prefill pool (or the only one), then the decode pool
  std::vector<predict::BatchTimingMemo> timing_memos_;  // per pool
  std::unique_ptr<GlobalScheduler> global_scheduler_;
  std::vector<Stage> stages_;          // every replica's stages, one replica after the other
  std::vector<int64_t> stage_offset_;  // per replica: its first stage in stages_
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
  bool hit_time_limit_ = false;
  bool stopped_early_ = false;
  int64_t num_delayed_ = 0;  // first scheduled later than stop_delay_threshold_s after arrival
  bool back_to_back_ = true;
  bool decode_stretches_ = true;
  bool decode_runs_on_ = true;
  int64_t num_decode_run_batches_ = 0;
  // Each request's execution, model and preempted times, kept stage by stage
  // (SimulationConfig::detailed_metrics); nothing else reads them.
  const bool stage_times_;
  StretchCounts stretch_counts_;
  // A replica's stretch, kept across an iteration in flight.
  struct Stretch {
    bool active = false;                 // started, not ended
    bool suspended = false;              // its iteration in flight, something else happening first
    bool stepped = false;                // an iteration taken
    std::vector<RequestId> ids;          // its decodes, in batch order
    BatchDraft chunk;                    // the rest of the current iteration (prompt chunks)
    std::vector<RequestId> completed;    // decodes that completed in the current iteration
    std::vector<RequestId> new_decodes;  // prompts that joined the decodes in it
    Batch batch;                         // the current iteration, without request lists
    predict::BatchShape decode_shape;    // the decodes' share of the batch
    int64_t until_completion = 0;        // iterations until one of the decodes completes, this one included
    double started = 0;                  // the current iteration's start
  };
  std::vector<Stretch> stretches_;  // per replica
  // The decodes a replica's last batch end left running, in batch order, each with its last
  // token out then (docs/simulator.md, "Hot path"): valid until the replica's next batch is
  // formed or a stretch starts. A batch formed with them at its front, one token each and
  // nobody restarted meanwhile, is the same requests a token further: it is timed from their
  // sums and ended without reading each one's state.
  struct DecodeRun {
    std::vector<RequestId> ids;  // the first `count` (only grows)
    size_t count = 0;
    double ended_at = 0;
    int64_t processed_sum = 0;     // their contexts
    int64_t until_completion = 0;  // tokens the closest of them to completion has to go
    int64_t preemptions = 0;       // the scheduler's count at the end
    bool valid = false;
  };
  std::vector<DecodeRun> decode_runs_;  // per replica
  // How many of batch `b`'s first requests are its replica's decode run (0 if it is not
  // valid or not at the front); the run is no longer valid after.
  size_t take_decode_run(int32_t replica, const Batch& b);
  // A stretch's decodes' share of its batches and their countdown to a completion: from
  // scratch, and with one decode added.
  void reset_stretch_decodes(Stretch& st, const Pool& pool);
  void add_stretch_decode(Stretch& st, const Pool& pool, RequestId id);

  // Disaggregation.
  std::unique_ptr<GlobalScheduler> decode_router_;
  std::deque<RequestId> kv_waiting_;  // prefilled, waiting for a decode replica with room
  KvTransferNetwork network_;
  double kv_bytes_per_token_ = 0;
  double kv_latency_s_ = 0;
  double kv_path_bytes_per_s_ = 0;         // one transfer alone on the link
  std::vector<double> prefill_overlap_s_;  // per request: link time a layerwise send overlaps
  std::vector<RequestId> handed_off_scratch_, transferred_scratch_;
};

}  // namespace infersweep::sim
