#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

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
