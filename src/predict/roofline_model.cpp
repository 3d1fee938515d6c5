#include "infersweep/predict/roofline_model.hpp"

#include <algorithm>
#include <cmath>

namespace infersweep::predict {

namespace {
constexpr double kBytesPerValue = 2.0;  // fp16
}

RooflineModel::RooflineModel(const PredictorContext& c)
    : RooflineModel(c, spec::device_shape(c.model, c.tensor_parallel, c.pipeline_parallel)) {}

RooflineModel::RooflineModel(const PredictorContext& c, const spec::DeviceShape& device)
    : params_(c.config.roofline),
      attention_(AttentionShape::of(device), AttentionHardware::of(c.gpu), c.config.roofline),
      peak_flops_(c.gpu.fp16_tflops * 1e12),
      bandwidth_(c.gpu.memory_bandwidth_gbps * 1e9),
      h_(static_cast<double>(device.hidden_size)),
      hd_(static_cast<double>(device.head_dim)),
      qh_(static_cast<double>(device.q_heads)),
      kvh_(static_cast<double>(device.kv_heads)),
      mlp_(static_cast<double>(device.mlp_hidden_size)),
      gated_(c.model.gated_mlp),
      tp_(c.tensor_parallel) {
  const bool tp_in_node = c.tensor_parallel <= c.node.devices_per_node;
  all_reduce_bandwidth_ = (tp_in_node ? c.node.intra_node_bandwidth_gbps : c.node.inter_node_bandwidth_gbps) * 1e9;
  all_reduce_latency_s_ = (tp_in_node ? c.node.intra_node_latency_us : c.node.inter_node_latency_us) * 1e-6;
  const bool multi_node = c.tensor_parallel * c.pipeline_parallel > c.node.devices_per_node;
  send_recv_bandwidth_ = (multi_node ? c.node.inter_node_bandwidth_gbps : c.node.intra_node_bandwidth_gbps) * 1e9;
  send_recv_latency_s_ = (multi_node ? c.node.inter_node_latency_us : c.node.intra_node_latency_us) * 1e-6;
}

double RooflineModel::kernel_ms(double flops, double bytes, double compute_eff, double memory_eff) const {
  const double compute_s = flops / (peak_flops_ * compute_eff);
  const double memory_s = bytes / (bandwidth_ * memory_eff);
  return std::max(compute_s, memory_s) * 1e3 + params_.kernel_overhead_us * 1e-3;
}

KernelCost RooflineModel::token_op_cost(TokenOp op, int64_t num_tokens) const {
  const double n = static_cast<double>(num_tokens);
  // A GEMM [n x in] * [in x out]: 2*n*in*out FLOPs; reads weights and input, writes output.
  auto gemm = [&](double in, double out) {
    return KernelCost{2.0 * n * in * out, kBytesPerValue * (in * out + n * in + n * out)};
  };
  // An element-wise kernel touching `values` fp16 values.
  auto streaming = [&](double values) { return KernelCost{0.0, kBytesPerValue * values}; };
  switch (op) {
    case TokenOp::attn_pre_proj:
      return gemm(h_, hd_ * (qh_ + 2.0 * kvh_));
    case TokenOp::attn_post_proj:
      return gemm(hd_ * qh_, h_);
    case TokenOp::mlp_up_proj:
      return gemm(h_, (gated_ ? 2.0 : 1.0) * mlp_);
    case TokenOp::mlp_down_proj:
      return gemm(mlp_, h_);
    case TokenOp::mlp_act:
      return streaming(n * mlp_ * (gated_ ? 3.0 : 2.0));
    case TokenOp::input_layernorm:
    case TokenOp::post_attention_layernorm:
      return streaming(2.0 * n * h_ + h_);
    case TokenOp::attn_rope:
      return streaming(2.0 * n * hd_ * (qh_ + kvh_));
    case TokenOp::add:
      return streaming(3.0 * n * h_);
    case TokenOp::attn_kv_cache_save:
      return streaming(2.0 * 2.0 * n * hd_ * kvh_);
  }
  return {};
}

double RooflineModel::token_op_ms(TokenOp op, int64_t num_tokens) const {
  const auto cost = token_op_cost(op, num_tokens);
  return kernel_ms(cost.flops, cost.bytes, params_.compute_efficiency, params_.memory_efficiency);
}

double RooflineModel::decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const {
  return attention_.decode_ms(batch_size, kv_tokens);
}

// The composition passes the root-sum-square of a batch's chunk lengths, squared: one prompt of
// that length stands for the batch (as Vidur's prediction key does).
double RooflineModel::prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const {
  const auto chunk = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(std::max<int64_t>(chunk_sq, 0)))));
  return attention_.prefill_ms(kv_tokens, chunk);
}

double RooflineModel::all_reduce_ms(int64_t num_tokens) const {
  if (tp_ <= 1) return 0.0;
  const double bytes = kBytesPerValue * static_cast<double>(num_tokens) * h_;
  const double steps = 2.0 * static_cast<double>(tp_ - 1);
  return (steps * all_reduce_latency_s_ + steps / static_cast<double>(tp_) * bytes / all_reduce_bandwidth_) * 1e3;
}

double RooflineModel::send_recv_ms(int64_t num_tokens) const {
  const double bytes = kBytesPerValue * static_cast<double>(num_tokens) * h_;
  return (send_recv_latency_s_ + bytes / send_recv_bandwidth_) * 1e3;
}

}  // namespace infersweep::predict
