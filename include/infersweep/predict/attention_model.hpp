#pragma once
// Attention kernels as FlashAttention runs them, from the GPU's specs (peak FLOP/s, HBM
// bandwidth, SM count) and the attention constants of RooflineParameters.
//
// A kernel is a grid of CTAs, each a sequence of equal steps (a KV block in decode, a key tile
// in prefill). CTAs run in waves over the GPU's CTA slots (SMs x CTAs per SM). In a full wave a
// step takes the longer of a lone CTA's step latency and the wave's share of the GPU-wide rate
// (bandwidth or peak x efficiency); a last, partial wave shares that rate among fewer CTAs; no
// kernel ends before its longest CTA has run its steps alone; each wave costs a fixed overhead.
//
// Decode (one query per request, every request at the same context): grouped-query heads are
// packed so that one CTA serves all query heads of a KV head, so CTAs = batch x KV heads and the
// bytes read count KV heads only. When that leaves slots idle, the KV is split over several CTAs
// per head (one wave's worth); contexts of several KV blocks pay for a kernel combining parts.
//
// Prefill (one prompt's chunk after its cached prefix, causal mask aligned bottom-right):
// CTAs = query tiles x query heads; the CTA of query tile i visits the key tiles of the prefix
// and of the chunk up to its last row. The measured call also pays a fixed floor (launch and
// host work), part of which the kernel overlaps.
#include <cstdint>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/spec/device_shape.hpp"

namespace infersweep::predict {

// What one GPU computes of a layer's attention under tensor parallelism.
struct AttentionShape {
  int64_t q_heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;

  static AttentionShape of(const spec::DeviceShape& device);
};

struct AttentionHardware {
  double peak_flops = 0;  // FLOP/s
  double bandwidth = 0;   // bytes/s
  int64_t sm_count = 0;

  static AttentionHardware of(const spec::GpuSpec& gpu);
};

// How a kernel's CTAs fill the GPU.
struct KernelWaves {
  int64_t ctas = 0;
  int64_t slots = 0;       // CTAs resident at once
  double mean_steps = 0;   // steps of the average CTA
  double max_steps = 0;    // steps of the longest CTA
  double step_amount = 0;  // bytes (decode) or FLOPs (prefill) of one step of one CTA
};

struct DecodeWork {
  KernelWaves waves;
  // A context of more than one KV block takes the split-KV path: partial results per part of the
  // KV, merged by a second kernel (a fixed cost, whether or not the part count is above one).
  bool split_kv_path = false;
};

struct PrefillWork {
  KernelWaves waves;
  double bytes = 0;  // Q and O of the chunk, K and V of prefix and chunk (KV heads only)
};

// The work of decoding `batch_size` requests with `kv_tokens` of context each.
DecodeWork decode_work(const AttentionShape& shape, const AttentionHardware& hardware, int64_t batch_size,
                       int64_t kv_tokens);
// The work of `chunk_tokens` new tokens after `kv_tokens` cached ones, for each of `prompts`
// prompts of that shape in one call.
PrefillWork prefill_work(const AttentionShape& shape, const AttentionHardware& hardware, int64_t kv_tokens,
                         int64_t chunk_tokens, int64_t prompts = 1);

double decode_time_ms(const DecodeWork& work, const AttentionHardware& hardware, const RooflineParameters& p);
double prefill_time_ms(const PrefillWork& work, const AttentionHardware& hardware, const RooflineParameters& p);

// Time of a kernel's waves without its floors, in seconds (exposed for tests).
double wave_time_s(const KernelWaves& waves, double step_latency_s, double full_wave_step_s, double wave_overhead_s);

class AttentionModel {
 public:
  AttentionModel(const AttentionShape& shape, const AttentionHardware& hardware, const RooflineParameters& parameters)
      : shape_(shape), hardware_(hardware), parameters_(parameters) {}

  double decode_ms(int64_t batch_size, int64_t kv_tokens) const {
    return decode_time_ms(decode_work(shape_, hardware_, batch_size, kv_tokens), hardware_, parameters_);
  }
  double prefill_ms(int64_t kv_tokens, int64_t chunk_tokens) const {
    return prefill_time_ms(prefill_work(shape_, hardware_, kv_tokens, chunk_tokens), hardware_, parameters_);
  }

 private:
  AttentionShape shape_;
  AttentionHardware hardware_;
  RooflineParameters parameters_;
};

}  // namespace infersweep::predict
