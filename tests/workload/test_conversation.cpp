// The conversation generator: sessions' prompts grow by exactly their history, their content
// spans say so, system prompts follow their Zipf popularity, and --qps is the request rate.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/workload/request_generator.hpp"
#include "infersweep/workload/token_content.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::workload;

namespace {

WorkloadConfig conversation(int64_t n) {
  WorkloadConfig c;
  c.generator = "conversation";
  c.num_requests = n;
  c.fixed_prefill_tokens = 100;  // each new message
  c.fixed_decode_tokens = 50;    // each output
  c.system_prompt_count = 3;
  c.system_prompt_tokens = 200;
  c.turns = 4;
  c.think_time_s = 5;
  c.qps = 4;
  c.max_tokens = 100000;
  return c;
}

// The conversation span of a request (its last span), which names its session.
const ContentSpan& session_span(const RequestSpec& r) { return r.content.back(); }

// Each session's requests, in arrival order, by session stream.
std::map<uint64_t, std::vector<const RequestSpec*>> by_session(const std::vector<RequestSpec>& requests) {
  std::map<uint64_t, std::vector<const RequestSpec*>> sessions;
  for (const auto& r : requests) sessions[session_span(r).stream].push_back(&r);
  return sessions;
}

bool same_requests(const std::vector<RequestSpec>& a, const std::vector<RequestSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].arrived_at != b[i].arrived_at || a[i].num_prefill_tokens != b[i].num_prefill_tokens ||
        a[i].num_decode_tokens != b[i].num_decode_tokens || a[i].content.size() != b[i].content.size())
      return false;
    for (size_t j = 0; j < a[i].content.size(); ++j)
      if (a[i].content[j].stream != b[i].content[j].stream || a[i].content[j].offset != b[i].content[j].offset ||
          a[i].content[j].length != b[i].content[j].length)
        return false;
  }
  return true;
}

}  // namespace

TEST(Conversation, SameSeedSameRequestsOtherSeedOthers) {
  const auto c = conversation(2000);
  const auto a = generate_requests(c);
  ASSERT_EQ(a.size(), 2000u);
  EXPECT_TRUE(same_requests(a, generate_requests(c)));
  auto other = c;
  other.seed = 43;
  EXPECT_FALSE(same_requests(a, generate_requests(other)));
}

TEST(Conversation, TurnKPromptIsSystemPromptPlusHistoryPlusNewMessage) {
  const auto requests = generate_requests(conversation(3000));
  const auto sessions = by_session(requests);
  ASSERT_GT(sessions.size(), 100u);
  size_t full_sessions = 0;
  for (const auto& [stream, turns] : sessions) {
    ASSERT_LE(turns.size(), 4u);
    full_sessions += turns.size() == 4;
    for (size_t k = 0; k < turns.size(); ++k) {
      const auto& r = *turns[k];
      // Turn k+1 (k from 0): 200 system tokens, k earlier turns of 100 + 50, a new message of 100.
      EXPECT_EQ(r.num_prefill_tokens, 200 + static_cast<int64_t>(k) * 150 + 100);
      EXPECT_EQ(r.num_decode_tokens, 50);
    }
  }
  EXPECT_GT(full_sessions, 100u);
}

TEST(Conversation, SpansCoverSystemPromptThenTheWholeSessionIncludingTheOutput) {
  const auto requests = generate_requests(conversation(3000));
  for (const auto& [stream, turns] : by_session(requests)) {
    EXPECT_EQ(stream_source(stream), StreamSource::conversation);
    const auto system = turns[0]->content[0];
    EXPECT_EQ(stream_source(system.stream), StreamSource::system_prompt);
    EXPECT_LT(system.stream - stream_key(StreamSource::system_prompt, 0), 3u);  // one of the 3 prompts
    for (size_t k = 0; k < turns.size(); ++k) {
      const auto& r = *turns[k];
      ASSERT_EQ(r.content.size(), 2u);
      // The same system prompt for every turn of the session, then the session from offset 0
      // over prompt and output: exactly the request's tokens.
      EXPECT_EQ(r.content[0].stream, system.stream);
      EXPECT_EQ(r.content[0].offset, 0);
      EXPECT_EQ(r.content[0].length, 200);
      EXPECT_EQ(r.content[1].offset, 0);
      EXPECT_EQ(r.content[1].length, r.num_prefill_tokens + r.num_decode_tokens - 200);
      if (k > 0) {
        // Turn k+1 starts with turn k's prompt and output: its session span extends turn k's.
        const auto& previous = *turns[k - 1];
        EXPECT_EQ(r.num_prefill_tokens, previous.num_prefill_tokens + previous.num_decode_tokens + 100);
        EXPECT_EQ(r.content[1].length, previous.content[1].length + 150);
        EXPECT_GT(r.arrived_at, previous.arrived_at);
      }
    }
  }
}

TEST(Conversation, StreamKeysOfSourcesNeverCollide) {
  EXPECT_NE(stream_key(StreamSource::system_prompt, 7), stream_key(StreamSource::conversation, 7));
  EXPECT_NE(stream_key(StreamSource::conversation, 7), stream_key(StreamSource::trace_block, 7));
  EXPECT_NE(stream_key(StreamSource::request, 7), stream_key(StreamSource::system_prompt, 7));
  EXPECT_EQ(stream_key(StreamSource::request, 7), 7u);
  EXPECT_EQ(stream_source(stream_key(StreamSource::trace_block, kMaxStreamNumber)), StreamSource::trace_block);
  EXPECT_EQ(stream_key(StreamSource::trace_block, kMaxStreamNumber) & kMaxStreamNumber, kMaxStreamNumber);
}

TEST(Conversation, WithoutSystemPromptsTheSessionStreamStartsAtTokenZero) {
  auto c = conversation(500);
  c.system_prompt_count = 0;
  for (const auto& r : generate_requests(c)) {
    ASSERT_EQ(r.content.size(), 1u);
    EXPECT_EQ(stream_source(r.content[0].stream), StreamSource::conversation);
    EXPECT_EQ(r.content[0].length, r.num_prefill_tokens + r.num_decode_tokens);
    EXPECT_EQ((r.num_prefill_tokens - 100) % 150, 0);
  }
}

TEST(Conversation, SingleTurnSessionsWithoutSystemPromptAreTheSyntheticWorkload) {
  auto c = conversation(5000);
  c.turns = 1;
  c.system_prompt_count = 0;
  c.length_generator = "uniform";
  c.min_tokens = 100;
  c.max_tokens = 3000;
  auto s = c;
  s.generator = "synthetic";
  const auto conv = generate_requests(c);
  const auto synth = generate_requests(s);
  ASSERT_EQ(conv.size(), synth.size());
  for (size_t i = 0; i < conv.size(); ++i) {
    EXPECT_EQ(conv[i].arrived_at, synth[i].arrived_at);
    EXPECT_EQ(conv[i].num_prefill_tokens, synth[i].num_prefill_tokens);
    EXPECT_EQ(conv[i].num_decode_tokens, synth[i].num_decode_tokens);
    EXPECT_EQ(conv[i].content[0].stream, stream_key(StreamSource::conversation, i));  // a session each
  }
}

TEST(Conversation, SystemPromptsFollowTheirZipfPopularity) {
  auto c = conversation(200000);
  c.turns = 1;  // every request starts a session, so every request draws a system prompt
  c.system_prompt_count = 5;
  c.system_prompt_zipf_theta = 1.2;
  std::vector<double> count(5, 0);
  for (const auto& r : generate_requests(c)) ++count[r.content[0].stream - stream_key(StreamSource::system_prompt, 0)];
  double norm = 0;
  for (int i = 1; i <= 5; ++i) norm += std::pow(i, -1.2);
  for (int i = 0; i < 5; ++i) {
    const double p = std::pow(i + 1, -1.2) / norm;
    // Binomial standard deviation at n = 200000 is under 0.0012; allow four of them.
    EXPECT_NEAR(count[i] / 200000.0, p, 0.005) << "system prompt " << i;
  }
  c.system_prompt_zipf_theta = 0;  // uniform
  std::vector<double> uniform(5, 0);
  for (const auto& r : generate_requests(c))
    ++uniform[r.content[0].stream - stream_key(StreamSource::system_prompt, 0)];
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(uniform[i] / 200000.0, 0.2, 0.005) << "system prompt " << i;
}

TEST(Conversation, QpsIsTheMeanRequestRateAndThinkTimesSpaceTurns) {
  for (const double qps : {2.0, 20.0}) {
    SCOPED_TRACE("qps " + std::to_string(qps));
    auto c = conversation(40000);
    c.qps = qps;
    c.turns = 2;
    c.max_turns = 6;
    c.think_time_s = 30;
    const auto requests = generate_requests(c);
    ASSERT_EQ(requests.size(), 40000u);
    EXPECT_NEAR(40000.0 / requests.back().arrived_at, qps, qps * 0.02);
    // A turn waits for its think time, then for the next arrival; with many sessions in flight
    // the wait is short next to the think time.
    double gaps = 0;
    int64_t n = 0;
    for (const auto& [stream, turns] : by_session(requests))
      for (size_t k = 1; k < turns.size(); ++k, ++n) gaps += turns[k]->arrived_at - turns[k - 1]->arrived_at;
    ASSERT_GT(n, 10000);
    EXPECT_GT(gaps / static_cast<double>(n), 30.0 * 0.97);
    EXPECT_LT(gaps / static_cast<double>(n), 30.0 * 1.15);
  }
}

TEST(Conversation, TurnsPerSessionStayInTheirRange) {
  auto c = conversation(20000);
  c.turns = 2;
  c.max_turns = 5;
  c.think_time_s = 1;
  c.qps = 50;
  std::map<size_t, int> sessions_with;
  const auto requests = generate_requests(c);
  const double end = requests.back().arrived_at;
  for (const auto& [stream, turns] : by_session(requests)) {
    EXPECT_LE(turns.size(), 5u);
    if (turns.front()->arrived_at < end - 60) {  // long over: every turn was taken
      EXPECT_GE(turns.size(), 2u);
      ++sessions_with[turns.size()];
    }
  }
  for (size_t t = 2; t <= 5; ++t) EXPECT_GT(sessions_with[t], 500) << t << " turns";
}

TEST(Conversation, ASessionEndsWhenItsNextTurnWouldExceedMaxTokens) {
  auto c = conversation(3000);
  c.turns = 10;
  c.max_tokens = 700;  // turn k holds 200 + 150 k tokens: turns 1-3 fit, turn 4 (800) does not
  const auto workload = generate_workload(c);
  size_t ended = 0;
  for (const auto& [stream, turns] : by_session(workload.requests)) {
    EXPECT_LE(turns.size(), 3u);
    for (const auto* r : turns) EXPECT_LE(r->num_prefill_tokens + r->num_decode_tokens, 700);
  }
  for (const auto& r : workload.requests) ended += r.num_prefill_tokens == 200 + 2 * 150 + 100;
  EXPECT_GT(workload.notes.sessions_ended_at_max_tokens, 0);
  EXPECT_LE(workload.notes.sessions_ended_at_max_tokens, static_cast<int64_t>(ended));
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 0);
  const auto notes = describe_notes(workload.notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("conversations ended before their last turn"), std::string::npos);
}

TEST(Conversation, AFirstTurnLongerThanMaxTokensLosesMessageTokensFirst) {
  test_support::TempDir dir;
  const auto path = dir.file("lengths.csv");
  std::ofstream(path) << "num_prefill_tokens,num_decode_tokens\n900,400\n";
  auto c = conversation(4);
  c.length_generator = "trace";
  c.length_trace_file = path;
  c.max_tokens = 1000;
  c.think_time_s = 0;
  c.interval_generator = "static";
  c.turns = 1;
  // The length trace clips 900 + 400 to 692 + 307 (Vidur's proportional clip); with a system
  // prompt of 200 the turn has room for 800: the output keeps its 307, the message gets 493.
  const auto workload = generate_workload(c);
  for (const auto& r : workload.requests) {
    EXPECT_EQ(r.num_prefill_tokens, 200 + 493);
    EXPECT_EQ(r.num_decode_tokens, 307);
    EXPECT_EQ(r.content[1].length, 800);
  }
  EXPECT_EQ(workload.notes.cut_to_max_tokens, 4);  // each request once, though cut twice

  // Fixed lengths fit --max-tokens, not the room the system prompt leaves: the cut is this one.
  c.length_generator = "fixed";
  c.fixed_prefill_tokens = 700;
  c.fixed_decode_tokens = 200;
  const auto fixed = generate_workload(c);
  for (const auto& r : fixed.requests) {
    EXPECT_EQ(r.num_prefill_tokens, 200 + 600);
    EXPECT_EQ(r.num_decode_tokens, 200);
  }
  EXPECT_EQ(fixed.notes.cut_to_max_tokens, 4);
}

TEST(Conversation, DurationBoundsArrivalsAndCountIsEstimatedUpFront) {
  auto c = conversation(1);
  c.num_requests.reset();
  c.duration_s = 200;
  const auto requests = generate_requests(c);
  EXPECT_LT(requests.back().arrived_at, 200.0);
  EXPECT_NEAR(static_cast<double>(requests.size()), 800.0, 120.0);
  EXPECT_GE(expected_request_count(c), static_cast<int64_t>(requests.size()));
  EXPECT_EQ(expected_request_count(conversation(321)), 321);
}

TEST(Conversation, BadSettingsAreRefusedNamingTheSetting) {
  auto c = conversation(10);
  c.max_turns = 2;  // below --turns 4
  EXPECT_NE(test_support::input_error_of([&] {
              generate_workload(c);
            }).find("setting max-turns: must be 0 or at least --turns (4)"),
            std::string::npos);
  c = conversation(10);
  c.max_tokens = 201;  // no room for a message and an output after the 200-token system prompt
  EXPECT_NE(test_support::input_error_of([&] { generate_workload(c); }).find("setting system-prompt-tokens:"),
            std::string::npos);
  c.system_prompt_count = 0;  // without system prompts their length does not matter
  c.fixed_prefill_tokens = 100;
  c.fixed_decode_tokens = 100;
  EXPECT_NO_THROW(generate_workload(c));
}
