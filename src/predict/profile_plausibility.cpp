#include "infersweep/predict/profile_plausibility.hpp"

#include <map>

#include "infersweep/predict/roofline_model.hpp"

namespace infersweep::predict {

std::vector<ImplausibleTime> find_implausible_times(const std::vector<TrainingSet>& mlp_sets,
                                                    const PredictorContext& context) {
  static const std::map<std::string, TokenOp> gemms{{"attn_pre_proj", TokenOp::attn_pre_proj},
                                                    {"attn_post_proj", TokenOp::attn_post_proj},
                                                    {"mlp_up_proj", TokenOp::mlp_up_proj},
                                                    {"mlp_down_proj", TokenOp::mlp_down_proj}};
  const RooflineModel shapes(context);
  const double peak_flops = context.gpu.fp16_tflops * 1e12;
  std::vector<ImplausibleTime> found;
  if (!(peak_flops > 0)) return found;
  for (const auto& set : mlp_sets) {
    const auto gemm = gemms.find(set.op);
    if (gemm == gemms.end()) continue;
    for (Eigen::Index r = 0; r < set.target.size(); ++r) {
      const double tokens = set.features(r, 0);
      const double bound_ms = shapes.token_op_cost(gemm->second, static_cast<int64_t>(tokens)).flops / peak_flops * 1e3;
      if (set.target(r) < bound_ms)
        found.push_back({set.source, set.lines[static_cast<size_t>(r)], set.op, tokens, set.target(r), bound_ms});
    }
  }
  return found;
}

}  // namespace infersweep::predict
