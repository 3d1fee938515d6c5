#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "infersweep/predict/attention_report.hpp"
#include "infersweep/predict/attention_validation.hpp"
#include "measured_attention.hpp"

using namespace infersweep;
using namespace infersweep::predict;

// The acceptance figure: fitted on a GPU's other models, the model predicts the one left out
// within 15 % (mean absolute percentage error over its rows), decode and prefill, H100 and H200;
// the previous roofline attention was 15-35 % off on decode and 75-90 % on prefill.
TEST(AttentionValidation, LeaveOneModelOutIsWithinFifteenPercentOnH100AndH200) {
  if (!test_support::have_gpu_profiles()) GTEST_SKIP() << "no " << test_support::gpu_profiles_dir();
  for (const auto* gpu : {"h100", "h200"}) {
    const auto data = test_support::measured_attention(gpu);
    const auto lomo = leave_one_model_out(data, RooflineParameters{});
    EXPECT_EQ(lomo.models.size(), std::string(gpu) == "h100" ? 4u : 7u);
    EXPECT_EQ(lomo.after.decode_rows, data.rows.decode_rows());
    EXPECT_EQ(lomo.after.prefill_rows, data.rows.prefill_rows());
    EXPECT_LE(lomo.after.decode_mape, 15.0) << gpu;
    EXPECT_LE(lomo.after.prefill_mape, 15.0) << gpu;
    EXPECT_GT(lomo.before.decode_mape, lomo.after.decode_mape + 5.0) << gpu;
    EXPECT_GT(lomo.before.prefill_mape, lomo.after.prefill_mape + 50.0) << gpu;
    for (const auto& m : lomo.models) {
      EXPECT_LE(m.after.decode_mape, 15.0) << gpu << " " << m.model;
      EXPECT_LE(m.after.prefill_mape, 20.0) << gpu << " " << m.model;
    }
  }
}

TEST(AttentionValidation, ConstantsOfOneGpuCarryToTheOther) {
  if (!test_support::have_gpu_profiles()) GTEST_SKIP() << "no " << test_support::gpu_profiles_dir();
  const std::vector<GpuAttentionData> gpus{test_support::measured_attention("h100"),
                                           test_support::measured_attention("h200")};
  const auto v = validate_attention_model(gpus, RooflineParameters{});
  ASSERT_EQ(v.cross.size(), 2u);
  for (const auto& c : v.cross) {
    EXPECT_LT(c.after.decode_mape, 20.0) << c.calibrated_on << " -> " << c.tested_on;
    EXPECT_LT(c.after.prefill_mape, 20.0) << c.calibrated_on << " -> " << c.tested_on;
    EXPECT_LT(c.after.decode_mape, c.before.decode_mape);
    EXPECT_LT(c.after.prefill_mape, c.before.prefill_mape);
  }
  EXPECT_EQ(v.pooled_gpus, (std::vector<std::string>{"h100", "h200"}));
  std::ostringstream text;
  print_attention_validation(text, v);
  for (const auto* expected : {"microsoft/phi-2", "all models", "--roofline-prefill-floor-us"})
    EXPECT_NE(text.str().find(expected), std::string::npos) << expected << "\n" << text.str();
}

TEST(AttentionValidation, FindsTheTreesBesideTheProfilingDirectory) {
  if (!test_support::have_gpu_profiles()) GTEST_SKIP() << "no " << test_support::gpu_profiles_dir();
  const auto h100 = test_support::gpu_profiles_dir() + "/h100";
  const auto sources = default_attention_sources({h100}, "");
  ASSERT_GE(sources.size(), 2u);
  EXPECT_EQ(sources[0], h100);
  const auto h200 = test_support::gpu_profiles_dir() + "/h200";
  EXPECT_EQ(std::count_if(sources.begin(), sources.end(),
                          [&](const std::string& s) { return std::filesystem::equivalent(s, h200); }),
            1);
  // The shipped catalog may lack the H200: its rows are then left out with a note.
  spec::SpecCatalog catalog = test_support::catalog();
  std::vector<std::string> notes;
  const auto found =
      find_measured_attention({h100, test_support::legacy_attention_file(), "/nonexistent"}, {h100}, catalog, notes);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].gpu.name, "h100");
  EXPECT_EQ(found[0].rows.models.size(), 4u);
  EXPECT_GT(found[0].gemms.rows, 0);
  EXPECT_EQ(found[1].gpu.name, "a100");  // from the directory names of the legacy file's path
  EXPECT_EQ(found[1].rows.models.size(), 1u);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("/nonexistent"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("no mlp.csv"), std::string::npos) << notes[1];  // no a100 GEMMs under h100's tree
}
