#include "infersweep/sweep/dispatch.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "infersweep/sweep/bundle_planner.hpp"

namespace infersweep::sweep {

namespace {

enum Tag : int { kHello = 1, kBundle = 2, kResults = 3, kWorkerError = 4 };

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Spins briefly after activity, then sleeps in growing steps up to 1 ms: fast hand-offs when
// messages flow, little CPU taken from the simulations when they do not.
class Backoff {
 public:
  void reset() { idle_turns_ = 0; }
  void wait() {
    ++idle_turns_;
    if (idle_turns_ < 64) return;
    const auto micros = std::min<int64_t>(1000, 20 << std::min<int64_t>(6, (idle_turns_ - 64) / 16));
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

 private:
  int64_t idle_turns_ = 0;
};

std::string receive_bytes(MPI_Comm comm, const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_BYTE, &count);
  std::string bytes(static_cast<size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, comm, MPI_STATUS_IGNORE);
  return bytes;
}

void send_bundle(MPI_Comm comm, int rank, const std::vector<int64_t>& tasks) {
  MPI_Send(tasks.data(), static_cast<int>(tasks.size()), MPI_INT64_T, rank, kBundle, comm);
}

// Rank 0's own worker: a thread that runs bundles from a queue; never calls MPI or HDF5.
class LocalWorker {
 public:
  explicit LocalWorker(BundleRunner& runner) : runner_(runner), thread_([this] { loop(); }) {}
  ~LocalWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void push(std::vector<int64_t> bundle) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      inbox_.push_back(std::move(bundle));
    }
    wake_.notify_all();
  }
  // A finished payload, if any; rethrows what the runner threw.
  std::optional<std::string> try_pop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    if (outbox_.empty()) return std::nullopt;
    auto payload = std::move(outbox_.front());
    outbox_.pop_front();
    return payload;
  }
  // Leaves the thread running (the process is about to end) instead of joining it.
  void abandon() { thread_.detach(); }

 private:
  void loop() {
    for (;;) {
      std::vector<int64_t> bundle;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return quit_ || !inbox_.empty(); });
        if (inbox_.empty()) return;
        bundle = std::move(inbox_.front());
        inbox_.pop_front();
      }
      try {
        auto payload = runner_.run(bundle);
        std::lock_guard<std::mutex> lock(mutex_);
        outbox_.push_back(std::move(payload));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
        return;
      }
    }
  }

  BundleRunner& runner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::vector<int64_t>> inbox_;
  std::deque<std::string> outbox_;
  std::exception_ptr error_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace

DispatchReport run_master(MPI_Comm comm, const std::vector<int64_t>& ordered_tasks, BundleRunner* local,
                          ResultSink& sink, StopCondition& stop, const DispatchOptions& options) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  DispatchReport report;
  report.tasks_total = static_cast<int64_t>(ordered_tasks.size());
  report.tasks_per_rank.assign(static_cast<size_t>(size), 0);
  report.threads_per_rank.assign(static_cast<size_t>(size), 0);
  if (local) report.threads_per_rank[0] = local->threads();

  Backoff backoff;
  // Every worker says how many threads it runs before any work is cut.
  for (int hellos = 0; hellos < size - 1;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kHello, comm, &flag, &status);
    if (!flag) {
      backoff.wait();
      continue;
    }
    int threads = 0;
    MPI_Recv(&threads, 1, MPI_INT, status.MPI_SOURCE, kHello, comm, MPI_STATUS_IGNORE);
    report.threads_per_rank[static_cast<size_t>(status.MPI_SOURCE)] = std::max(1, threads);
    ++hellos;
  }
  int64_t total_threads = 0;
  for (int t : report.threads_per_rank) total_threads += t;
  if (total_threads == 0) throw std::invalid_argument("no rank runs bundles: with one rank, rank 0 must work");

  BundlePlanner planner(ordered_tasks, total_threads);
  std::vector<std::deque<std::vector<int64_t>>> outstanding(static_cast<size_t>(size));
  std::optional<LocalWorker> local_worker;
  if (local) local_worker.emplace(*local);

  bool stopping = false;
  auto stop_time = Clock::now();
  auto last_stop_check = Clock::now() - std::chrono::hours(1);
  auto in_flight = [&] {
    size_t n = 0;
    for (const auto& q : outstanding) n += q.size();
    return n;
  };
  auto complete = [&](int rank, const std::string& payload) {
    auto& queue = outstanding[static_cast<size_t>(rank)];
    if (queue.empty()) throw std::runtime_error("results from rank " + std::to_string(rank) + " that had no bundle");
    const auto tasks = std::move(queue.front());
    queue.pop_front();
    sink.consume(payload, rank, tasks);
    report.tasks_completed += static_cast<int64_t>(tasks.size());
    report.tasks_per_rank[static_cast<size_t>(rank)] += static_cast<int64_t>(tasks.size());
  };

  for (;;) {
    if (!stopping && seconds_since(last_stop_check) >= options.stop_poll_s) {
      last_stop_check = Clock::now();
      report.stop_reason = planner.done() ? std::string() : stop.stop_reason();
      if (!report.stop_reason.empty()) {
        stopping = true;
        stop_time = Clock::now();
      }
    }
    bool active = false;
    if (!stopping) {
      for (int r = 0; r < size; ++r) {
        const auto threads = report.threads_per_rank[static_cast<size_t>(r)];
        if (threads == 0) continue;
        auto& queue = outstanding[static_cast<size_t>(r)];
        while (queue.size() < static_cast<size_t>(options.prefetch) && !planner.done()) {
          auto bundle = planner.next(threads);
          report.tasks_dispatched += static_cast<int64_t>(bundle.size());
          ++report.bundles;
          if (r == 0)
            local_worker->push(bundle);
          else
            send_bundle(comm, r, bundle);
          queue.push_back(std::move(bundle));
          active = true;
        }
      }
    }
    for (;;) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status);
      if (!flag) break;
      active = true;
      const auto bytes = receive_bytes(comm, status);
      if (status.MPI_TAG == kWorkerError)
        throw std::runtime_error("rank " + std::to_string(status.MPI_SOURCE) + ": " + bytes);
      if (status.MPI_TAG != kResults)
        throw std::runtime_error("unexpected message with tag " + std::to_string(status.MPI_TAG));
      complete(status.MPI_SOURCE, bytes);
    }
    if (local_worker)
      while (auto payload = local_worker->try_pop()) {
        active = true;
        complete(0, *payload);
      }
    sink.idle();
    if (in_flight() == 0 && (planner.done() || stopping)) break;
    if (stopping && seconds_since(stop_time) > options.drain_timeout_s) {
      report.drained = false;
      if (local_worker) local_worker->abandon();
      return report;
    }
    if (active)
      backoff.reset();
    else
      backoff.wait();
  }
  for (int r = 1; r < size; ++r) send_bundle(comm, r, {});
  return report;
}

void run_worker(MPI_Comm comm, BundleRunner& runner) {
  const int threads = runner.threads();
  MPI_Send(&threads, 1, MPI_INT, 0, kHello, comm);
  Backoff backoff;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(0, kBundle, comm, &flag, &status);
    if (!flag) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    int count = 0;
    MPI_Get_count(&status, MPI_INT64_T, &count);
    std::vector<int64_t> tasks(static_cast<size_t>(count));
    MPI_Recv(tasks.data(), count, MPI_INT64_T, 0, kBundle, comm, MPI_STATUS_IGNORE);
    if (tasks.empty()) return;
    std::string payload;
    int tag = kResults;
    try {
      payload = runner.run(tasks);
    } catch (const std::exception& e) {
      payload = e.what();
      tag = kWorkerError;
    }
    MPI_Send(payload.data(), static_cast<int>(payload.size()), MPI_BYTE, 0, tag, comm);
  }
}

}  // namespace infersweep::sweep
