#include "infersweep/predict/batch_timing_memo.hpp"

namespace infersweep::predict {

namespace {

uint64_t mix(uint64_t h, int64_t v) {
  h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t hash_of(const PredictionKey& k) {
  uint64_t h = 0;
  h = mix(h, k.total_tokens);
  h = mix(h, k.num_decodes);
  h = mix(h, k.decode_kv);
  h = mix(h, k.num_prefills);
  h = mix(h, k.prefill_kv_sum);
  h = mix(h, k.prefill_chunk_sq);
  return h * 0xff51afd7ed558ccdULL;
}

}  // namespace

BatchTimingMemo::BatchTimingMemo(const ExecutionTimePredictor& predictor)
    : predictor_(&predictor), slots_(kSlots), token_slots_(kTokenSlots) {}

BatchTiming BatchTimingMemo::operator()(const BatchShape& shape) {
  const PredictionKey key = predictor_->key(shape);
  // Direct-mapped: a newer key takes the slot of an older one with the same hash bits.
  Slot& slot = slots_[(hash_of(key) >> 40) & (kSlots - 1)];
  if (slot.filled && slot.key == key) {
    ++hits_;
    return slot.timing;
  }
  ++misses_;
  TokenOpTimes& tokens = token_slots_[static_cast<size_t>(key.total_tokens) & (kTokenSlots - 1)];
  if (tokens.total_tokens != key.total_tokens) tokens = predictor_->token_op_times(key.total_tokens);
  slot.timing = predictor_->predict(key, tokens);
  slot.key = key;
  slot.filled = true;
  return slot.timing;
}

}  // namespace infersweep::predict
