#include "infersweep/predict/attention_model.hpp"

#include <algorithm>
#include <cmath>

namespace infersweep::predict {

namespace {

// FlashAttention-2's kernel geometry for head dimensions up to 128 (what the measured kernels
// ran): decode reads the KV in blocks of 128 tokens with two 128-thread CTAs per SM; prefill
// multiplies 128-row query tiles by 64-column key tiles, one CTA per SM.
constexpr int64_t kKvBlockTokens = 128;
constexpr int64_t kDecodeCtasPerSm = 2;
constexpr int64_t kQueryTileRows = 128;
constexpr int64_t kKeyTileColumns = 64;
constexpr int64_t kPrefillCtasPerSm = 1;
// Kernels are compiled for head dimensions in steps of 32; a smaller head runs padded.
constexpr int64_t kHeadDimStep = 32;
constexpr double kBytesPerValue = 2.0;  // fp16

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

double kernel_head_dim(const AttentionShape& shape) {
  return static_cast<double>(ceil_div(std::max<int64_t>(shape.head_dim, 1), kHeadDimStep) * kHeadDimStep);
}

}  // namespace

AttentionShape AttentionShape::of(const spec::DeviceShape& device) {
  return {device.q_heads, device.kv_heads, device.head_dim};
}

AttentionHardware AttentionHardware::of(const spec::GpuSpec& gpu) {
  return {gpu.fp16_tflops * 1e12, gpu.memory_bandwidth_gbps * 1e9, gpu.sm_count};
}

double wave_time_s(const KernelWaves& w, double step_latency_s, double full_wave_step_s, double wave_overhead_s) {
  if (w.ctas <= 0) return 0.0;
  const int64_t full = w.ctas / w.slots, rest = w.ctas % w.slots;
  // full_wave_step_s is one step of every slot at the GPU-wide rate; a partial wave of `rest`
  // CTAs needs rest/slots of it per step.
  double shared = static_cast<double>(full) * w.mean_steps * std::max(step_latency_s, full_wave_step_s);
  if (rest > 0)
    shared += std::max(w.mean_steps * step_latency_s,
                       w.mean_steps * full_wave_step_s * static_cast<double>(rest) / static_cast<double>(w.slots));
  const double waves = static_cast<double>(full + (rest > 0 ? 1 : 0));
  return wave_overhead_s * waves + std::max(w.max_steps * step_latency_s, shared);
}

DecodeWork decode_work(const AttentionShape& shape, const AttentionHardware& hardware, int64_t batch_size,
                       int64_t kv_tokens) {
  DecodeWork work;
  auto& w = work.waves;
  w.slots = std::max<int64_t>(1, hardware.sm_count * kDecodeCtasPerSm);
  const int64_t heads = std::max<int64_t>(1, batch_size * shape.kv_heads);
  const int64_t blocks = std::max<int64_t>(1, ceil_div(std::max<int64_t>(kv_tokens, 0), kKvBlockTokens));
  // Split the KV only to fill slots that would stay idle: as many parts as one wave holds.
  const int64_t splits = std::clamp<int64_t>(w.slots / heads, 1, blocks);
  work.split_kv_path = blocks > 1;
  w.ctas = heads * splits;
  w.mean_steps = static_cast<double>(blocks) / static_cast<double>(splits);
  w.max_steps = static_cast<double>(ceil_div(blocks, splits));
  const double tokens_per_block = static_cast<double>(std::max<int64_t>(kv_tokens, 0)) / static_cast<double>(blocks);
  w.step_amount = tokens_per_block * kernel_head_dim(shape) * 2.0 * kBytesPerValue;  // K and V
  return work;
}

PrefillWork prefill_work(const AttentionShape& shape, const AttentionHardware& hardware, int64_t kv_tokens,
                         int64_t chunk_tokens, int64_t prompts) {
  PrefillWork work;
  auto& w = work.waves;
  const int64_t kv = std::max<int64_t>(kv_tokens, 0), chunk = std::max<int64_t>(chunk_tokens, 0);
  if (chunk == 0 || prompts <= 0) return work;  // no query, no kernel
  const int64_t tiles = std::max<int64_t>(1, ceil_div(chunk, kQueryTileRows));
  w.slots = std::max<int64_t>(1, hardware.sm_count * kPrefillCtasPerSm);
  w.ctas = tiles * std::max<int64_t>(1, shape.q_heads) * prompts;
  // Query tile i < tiles-1 ends at row (i+1)*128 of the chunk and sees ceil(kv/64) + 2(i+1) key
  // tiles; the last sees all kv + chunk keys.
  constexpr int64_t key_tiles_per_query_tile = kQueryTileRows / kKeyTileColumns;
  const int64_t prefix_tiles = ceil_div(kv, kKeyTileColumns), last_tiles = ceil_div(kv + chunk, kKeyTileColumns);
  const double sum = static_cast<double>(tiles - 1) * static_cast<double>(prefix_tiles) +
                     static_cast<double>(key_tiles_per_query_tile) * static_cast<double>((tiles - 1) * tiles) / 2.0 +
                     static_cast<double>(last_tiles);
  w.mean_steps = sum / static_cast<double>(tiles);
  w.max_steps = static_cast<double>(last_tiles);
  const double hd = kernel_head_dim(shape);
  w.step_amount = 4.0 * static_cast<double>(kQueryTileRows * kKeyTileColumns) * hd;  // QK^T and PV
  work.bytes = static_cast<double>(prompts) * kBytesPerValue * hd *
               (2.0 * static_cast<double>(kv + chunk) * static_cast<double>(shape.kv_heads) +
                2.0 * static_cast<double>(chunk) * static_cast<double>(shape.q_heads));
  return work;
}

double decode_time_ms(const DecodeWork& work, const AttentionHardware& hardware, const RooflineParameters& p) {
  const auto& w = work.waves;
  const double full_wave_step_s =
      static_cast<double>(w.slots) * w.step_amount / (p.attention_memory_efficiency * hardware.bandwidth);
  const double kernel_s =
      wave_time_s(w, p.decode_block_latency_us * 1e-6, full_wave_step_s, p.decode_wave_overhead_us * 1e-6);
  return kernel_s * 1e3 + (p.decode_floor_us + (work.split_kv_path ? p.decode_split_combine_us : 0.0)) * 1e-3;
}

double prefill_time_ms(const PrefillWork& work, const AttentionHardware& hardware, const RooflineParameters& p) {
  const auto& w = work.waves;
  if (w.ctas <= 0) return 0.0;
  const double full_wave_step_s =
      static_cast<double>(w.slots) * w.step_amount / (p.attention_compute_efficiency * hardware.peak_flops);
  double kernel_s =
      wave_time_s(w, p.prefill_tile_latency_us * 1e-6, full_wave_step_s, p.prefill_wave_overhead_us * 1e-6);
  // A short chunk after a long prefix streams more than it computes.
  kernel_s = std::max(kernel_s, work.bytes / (p.attention_memory_efficiency * hardware.bandwidth));
  const double floor_s = p.prefill_floor_us * 1e-6;
  return (floor_s + std::max(0.0, kernel_s - p.prefill_floor_overlap * floor_s)) * 1e3;
}

}  // namespace infersweep::predict
