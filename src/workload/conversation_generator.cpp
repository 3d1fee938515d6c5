#include "infersweep/workload/conversation_generator.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "arrivals.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/random_stream.hpp"
#include "infersweep/workload/length_generator.hpp"

namespace infersweep::workload {

namespace {

// Index i of `count` with probability proportional to 1/(i+1)^theta, by inverting the
// cumulative weights.
class ZipfChoice {
 public:
  ZipfChoice(int64_t count, double theta) {
    cumulative_.reserve(static_cast<size_t>(count));
    double sum = 0;
    for (int64_t i = 1; i <= count; ++i) {
      sum += std::pow(static_cast<double>(i), -theta);
      cumulative_.push_back(sum);
    }
  }
  int64_t pick(double u) const {
    const double target = u * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
    return std::min<int64_t>(it - cumulative_.begin(), static_cast<int64_t>(cumulative_.size()) - 1);
  }

 private:
  std::vector<double> cumulative_;
};

struct Session {
  uint64_t stream = 0;
  int64_t system_prompt = -1;  // -1: none
  int64_t history = 0;         // tokens of earlier messages and outputs
  int64_t turns_left = 0;
};

// The state of one generation: the sessions so far and those waiting for their next turn.
class Conversations {
 public:
  explicit Conversations(const WorkloadConfig& c)
      : config_(c),
        turns_rng_(c.seed, "conversation.turns"),
        think_rng_(c.seed, "conversation.think"),
        prompt_rng_(c.seed, "conversation.system_prompt"),
        prompts_(std::max<int64_t>(c.system_prompt_count, 1), c.system_prompt_zipf_theta) {}

  GeneratedWorkload generate() {
    Arrivals arrivals(config_);
    auto lengths = builtin_length_generators().create("length-generator", config_.length_generator, config_);
    GeneratedWorkload out;
    while (const auto now = arrivals.next()) {
      const auto tokens = lengths->next();
      if (!continue_ready_session(*now, tokens, out)) start_session(*now, tokens, lengths->last_draw_cut(), out);
    }
    arrivals.add_notes(out.notes);
    lengths->add_notes(out.notes);
    return out;
  }

 private:
  int64_t system_tokens(const Session& s) const { return s.system_prompt < 0 ? 0 : config_.system_prompt_tokens; }

  // Gives the arrival to the session ready longest whose next turn fits in --max-tokens; the
  // sessions ready before it whose turn does not fit end. False when none is ready.
  bool continue_ready_session(double now, const TokenCounts& tokens, GeneratedWorkload& out) {
    while (!ready_.empty() && ready_.top().first <= now) {
      const size_t index = ready_.top().second;
      ready_.pop();
      const Session& s = sessions_[index];
      if (system_tokens(s) + s.history + tokens.prefill + tokens.decode > config_.max_tokens) {
        ++out.notes.sessions_ended_at_max_tokens;
        continue;
      }
      add_turn(index, now, tokens.prefill, tokens.decode, out);
      return true;
    }
    return false;
  }

  // A first turn too long for --max-tokens is cut; it is counted unless the length generator
  // counted its draw already (each draw is one request).
  void start_session(double now, const TokenCounts& tokens, bool draw_cut, GeneratedWorkload& out) {
    Session s;
    s.stream = stream_key(StreamSource::conversation, sessions_.size());
    if (config_.system_prompt_count > 0) s.system_prompt = prompts_.pick(prompt_rng_.uniform01());
    s.turns_left = config_.turns;
    if (config_.max_turns > config_.turns)
      s.turns_left +=
          static_cast<int64_t>(turns_rng_.uniform_index(static_cast<uint64_t>(config_.max_turns - config_.turns + 1)));
    sessions_.push_back(s);
    int64_t message = tokens.prefill, output = tokens.decode;
    const int64_t room = config_.max_tokens - system_tokens(s);  // >= 2 (validate_conversation)
    if (message + output > room) {
      output = std::min(output, room - 1);
      message = room - output;
      if (!draw_cut) ++out.notes.cut_to_max_tokens;
    }
    add_turn(sessions_.size() - 1, now, message, output, out);
  }

  void add_turn(size_t index, double now, int64_t message, int64_t output, GeneratedWorkload& out) {
    Session& s = sessions_[index];
    RequestSpec r;
    r.arrived_at = now;
    r.num_prefill_tokens = system_tokens(s) + s.history + message;
    r.num_decode_tokens = output;
    if (s.system_prompt >= 0)
      r.content.push_back(
          {stream_key(StreamSource::system_prompt, static_cast<uint64_t>(s.system_prompt)), 0, system_tokens(s)});
    r.content.push_back({s.stream, 0, s.history + message + output});
    out.requests.push_back(std::move(r));
    s.history += message + output;
    if (--s.turns_left > 0) {
      const double think = config_.think_time_s > 0 ? think_rng_.exponential(1.0 / config_.think_time_s) : 0.0;
      ready_.push({now + think, index});
    }
  }

  const WorkloadConfig& config_;
  RandomStream turns_rng_, think_rng_, prompt_rng_;
  ZipfChoice prompts_;
  std::vector<Session> sessions_;
  // (time the session is ready, session index); the earliest first, then the oldest session.
  using Ready = std::pair<double, size_t>;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> ready_;
};

class ConversationGenerator : public RequestGenerator {
 public:
  explicit ConversationGenerator(const WorkloadConfig& c) : config_(c) {}
  GeneratedWorkload generate() override { return Conversations(config_).generate(); }

 private:
  WorkloadConfig config_;
};

}  // namespace

void validate_conversation(const WorkloadConfig& c) {
  if (c.max_turns != 0 && c.max_turns < c.turns)
    throw InputError::setting("max-turns", "must be 0 or at least --turns (" + std::to_string(c.turns) + ")");
  if (c.system_prompt_count > 0 && c.system_prompt_tokens > c.max_tokens - 2)
    throw InputError::setting(
        "system-prompt-tokens",
        "must leave at least 2 of --max-tokens (" + std::to_string(c.max_tokens) + ") for a message and its output");
}

std::unique_ptr<RequestGenerator> make_conversation_generator(const WorkloadConfig& config) {
  return std::make_unique<ConversationGenerator>(config);
}

}  // namespace infersweep::workload
