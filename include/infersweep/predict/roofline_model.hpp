#pragma once
// Analytic operator times from the specs alone: each token-level kernel takes the longer of its
// FLOPs at (efficiency x peak) and its bytes at (efficiency x HBM bandwidth), plus a launch
// overhead; attention follows FlashAttention's tiles and waves (attention_model.hpp);
// collectives use link bandwidth and latency (ring all-reduce).
#include "infersweep/predict/attention_model.hpp"
#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/spec/device_shape.hpp"

namespace infersweep::predict {

// The work of one kernel: what the roofline divides by peak FLOP/s and by bandwidth.
struct KernelCost {
  double flops = 0;
  double bytes = 0;
};

class RooflineModel : public OperatorTimeModel {
 public:
  explicit RooflineModel(const PredictorContext& context);

  KernelCost token_op_cost(TokenOp op, int64_t num_tokens) const;

  double token_op_ms(TokenOp op, int64_t num_tokens) const override;
  double decode_attention_ms(int64_t batch_size, int64_t kv_tokens) const override;
  double prefill_attention_ms(int64_t kv_tokens, int64_t chunk_sq) const override;
  double all_reduce_ms(int64_t num_tokens) const override;
  double send_recv_ms(int64_t num_tokens) const override;

 private:
  RooflineModel(const PredictorContext& context, const spec::DeviceShape& device);
  double kernel_ms(double flops, double bytes, double compute_eff, double memory_eff) const;

  RooflineParameters params_;
  AttentionModel attention_;
  double peak_flops_;               // FLOP/s
  double bandwidth_;                // bytes/s
  double h_, hd_, qh_, kvh_, mlp_;  // of spec::DeviceShape
  bool gated_;
  int64_t tp_;
  double all_reduce_bandwidth_, all_reduce_latency_s_;
  double send_recv_bandwidth_, send_recv_latency_s_;
};

}  // namespace infersweep::predict
