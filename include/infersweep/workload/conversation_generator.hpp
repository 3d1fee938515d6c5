#pragma once
// Conversations: sessions of turns whose prompts share prefixes.
//
// Each session chooses one of --system-prompt-count system prompts (prompt i with weight
// 1/(i+1)^theta) or none, and a number of turns. Turn k's prompt is the system prompt, then
// every earlier message and output of the session, then the new message; message and output
// lengths come from the length generator. The content spans say so: [system prompt p: 0, L)
// then [session s: 0, history + message + output), so that turn k + 1 finds turn k's prompt and
// output as its prefix.
//
// Arrivals are the interval generator's, so --qps is the request rate, as for the synthetic
// generator. Each arrival is the next turn of the session that has been ready longest (a
// session is ready a think time, exponential with mean --think-time, after its previous turn
// arrived), or the first turn of a new session when none is ready. Turns of a session are
// thus at least a think time apart, and more by the wait for the next arrival. A session
// whose next turn would exceed --max-tokens ends there (counted in the notes); a first turn
// longer than --max-tokens loses message tokens first, then output tokens.
#include <memory>

#include "infersweep/workload/request_generator.hpp"

namespace infersweep::workload {

std::unique_ptr<RequestGenerator> make_conversation_generator(const WorkloadConfig& config);

// Checks the conversation settings against each other and --max-tokens.
void validate_conversation(const WorkloadConfig& config);

}  // namespace infersweep::workload
