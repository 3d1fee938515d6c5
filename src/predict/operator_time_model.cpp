#include "infersweep/predict/operator_time_model.hpp"

#include "infersweep/predict/learned_predictor.hpp"
#include "infersweep/predict/roofline_model.hpp"
#include "infersweep/predict/vidur_table_model.hpp"

namespace infersweep::predict {

OperatorTimeModelRegistry make_operator_time_model_registry() {
  OperatorTimeModelRegistry registry("execution-time predictor");
  registry.add("roofline", [](const PredictorContext& c) { return std::make_unique<RooflineModel>(c); });
  registry.add("learned", [](const PredictorContext& c) {
    return std::make_unique<LearnedOperatorModel>(c, load_or_build_learned_state(c));
  });
  registry.add("table", [](const PredictorContext& c) { return std::make_unique<VidurTableModel>(c); });
  return registry;
}

const OperatorTimeModelRegistry& builtin_operator_time_models() {
  static const OperatorTimeModelRegistry registry = make_operator_time_model_registry();
  return registry;
}

}  // namespace infersweep::predict
