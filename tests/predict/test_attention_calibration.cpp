#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/attention_calibration.hpp"
#include "infersweep/predict/roofline_calibration.hpp"
#include "measured_attention.hpp"

using namespace infersweep;
using namespace infersweep::predict;

namespace {

const RooflineParameters kDefaults{};

AttentionHardware hardware(const std::string& gpu) { return AttentionHardware::of(test_support::catalog().gpu(gpu)); }

// Llama-2-7B TP1, Llama-3-8B TP1, Llama-2-70B TP8, phi-2 TP2, per GPU.
const std::vector<AttentionShape> kShapes{{32, 32, 128}, {32, 8, 128}, {8, 1, 128}, {16, 16, 80}};

}  // namespace

TEST(AttentionCalibration, RecoversConstantsOfRowsItGenerated) {
  // Rows the model itself predicts with known constants, on two GPUs and four shapes.
  RooflineParameters truth = attention_fit_start(kDefaults);
  truth.attention_memory_efficiency = 0.62;
  truth.decode_block_latency_us = 2.4;
  truth.decode_wave_overhead_us = 4.1;
  truth.decode_floor_us = 2.7;
  truth.decode_split_combine_us = 3.3;
  truth.attention_compute_efficiency = 0.41;
  truth.prefill_tile_latency_us = 1.2;
  truth.prefill_wave_overhead_us = 7.5;
  truth.prefill_floor_us = 65.0;
  truth.prefill_floor_overlap = 0.45;
  std::vector<AttentionSample> samples;
  for (const auto* gpu : {"h100", "a100"}) {
    const auto hw = hardware(gpu);
    for (const auto& shape : kShapes) {
      for (int64_t batch : {1, 2, 4, 8, 16, 32, 64, 128})
        for (int64_t kv : {32, 128, 256, 512, 1024, 2048, 4032}) {
          AttentionSample s;
          s.decode = decode_work(shape, hw, batch, kv);
          s.hardware = hw;
          s.ms = decode_time_ms(s.decode, hw, truth);
          samples.push_back(s);
        }
      for (int64_t chunk : {64, 256, 512, 1024, 2048, 4096})
        for (int64_t kv : {0, 512, 2048, 4032}) {
          AttentionSample s;
          s.is_prefill = true;
          s.prefill = prefill_work(shape, hw, kv, chunk);
          s.hardware = hw;
          s.ms = prefill_time_ms(s.prefill, hw, truth);
          samples.push_back(s);
        }
    }
  }
  const auto fit = calibrate_attention(samples, kDefaults);
  EXPECT_LT(fit.errors.decode_mape, 0.01);
  EXPECT_LT(fit.errors.prefill_mape, 0.01);
  for (const auto& s : roofline_settings().settings()) {
    const double want = std::stod(s.text(truth)), got = std::stod(s.text(fit.parameters));
    EXPECT_NEAR(got, want, 1e-3 * want) << s.name();
  }
}

// The shipped defaults of the attention constants are the fit on every measured H100 and H200
// row, rounded to three significant digits, as the last section of
//   infersweep predictor report --model Llama-2-7b-hf --gpu h100
//   --profiling-dir ../shared/gpu-profiles/h100 --data-dir <data with gpus/h200.ini>
// prints them (the H200's tree beside the H100's is found by default).
TEST(AttentionCalibration, ShippedDefaultsAreTheFitOnMeasuredH100AndH200) {
  if (!test_support::have_gpu_profiles()) GTEST_SKIP() << "no " << test_support::gpu_profiles_dir();
  std::vector<AttentionSample> pooled;
  for (const auto* gpu : {"h100", "h200"}) {
    const auto rows = read_attention_rows(gpu_attention_files(test_support::gpu_profiles_dir() + "/" + gpu, gpu),
                                          test_support::profiled_gpu(gpu));
    pooled.insert(pooled.end(), rows.samples.begin(), rows.samples.end());
  }
  ASSERT_EQ(pooled.size(), 11u * 4 * 437);
  const auto fit = calibrate_attention(pooled, kDefaults);
  const auto settings = attention_settings();
  ASSERT_EQ(settings.size(), 10u);
  for (const auto* s : settings) {
    const double fitted = std::stod(s->text(fit.parameters)), shipped = std::stod(s->text(kDefaults));
    const double half_unit = 0.5 * std::pow(10.0, std::floor(std::log10(std::abs(fitted))) - 2);
    EXPECT_NEAR(shipped, fitted, half_unit * (1 + 1e-9)) << s->name();
  }
  EXPECT_LT(fit.errors.decode_mape, 12.0);
  EXPECT_LT(fit.errors.prefill_mape, 14.0);
}

TEST(AttentionCalibration, GpuCalibrationFitsAttentionOfItsOtherModels) {
  if (!test_support::have_gpu_profiles()) GTEST_SKIP() << "no " << test_support::gpu_profiles_dir();
  const auto tree = test_support::gpu_profiles_dir() + "/h100";
  const auto own = tree + "/compute/h100/meta-llama/Llama-2-7b-hf/attention.csv";
  auto files = gpu_mlp_files(tree, "h100");
  const auto attention = gpu_attention_files(tree, "h100", own);
  ASSERT_EQ(attention.size(), 3u);  // the deployment's own file is left out
  files.insert(files.end(), attention.begin(), attention.end());
  const auto gpu = test_support::catalog().gpu("h100");
  const auto calibration = calibrate_roofline(files, gpu, kDefaults);
  EXPECT_EQ(calibration.attention_sources, attention);
  EXPECT_EQ(calibration.attention.decode_rows, 3 * 4 * 272);
  EXPECT_EQ(calibration.attention.prefill_rows, 3 * 4 * 165);
  EXPECT_LT(calibration.attention.decode_mape, 12.0);
  EXPECT_NE(calibration.parameters.decode_floor_us, kDefaults.decode_floor_us);
  EXPECT_GT(calibration.rows, 0);  // the GEMMs are fitted as before
  // Held out: the deployment's own rows.
  const auto own_rows = read_attention_rows({own}, gpu);
  const auto held_out = attention_errors(own_rows.samples, calibration.parameters);
  EXPECT_LT(held_out.decode_mape, 15.0);
  EXPECT_LT(held_out.prefill_mape, 20.0);
  // Cached and read back, every constant is the same.
  BinaryWriter out;
  write_roofline_calibration(out, calibration);
  BinaryReader in(out.bytes());
  const auto back = read_roofline_calibration(in);
  EXPECT_TRUE(in.at_end());
  for (const auto& s : roofline_settings().settings())
    EXPECT_EQ(s.text(back.parameters), s.text(calibration.parameters)) << s.name();
  EXPECT_EQ(back.attention.prefill_mape, calibration.attention.prefill_mape);
  EXPECT_EQ(back.attention_sources, calibration.attention_sources);
  EXPECT_EQ(back.sources, calibration.sources);
}

TEST(AttentionCalibration, BadCellNamesFileLineAndColumn) {
  test_support::TempDir dir;
  const auto path = dir.file("attention.csv");
  std::ofstream(path) << "n_embd,n_q_head,n_kv_head,num_tensor_parallel_workers,batch_size,prefill_chunk_size,"
                         "kv_cache_size,time_stats.attn_decode.median,time_stats.attn_prefill.median\n"
                         "4096,32,32,1,1,0,64,0.01,\n"
                         "4096,32,32,1,1,128,0,,-0.2\n";
  try {
    read_attention_rows({path}, test_support::catalog().gpu("h100"));
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("3"), std::string::npos) << what;
    EXPECT_NE(what.find("time_stats.attn_prefill.median"), std::string::npos) << what;
  }
  std::ofstream(path) << "n_embd,n_q_head,n_kv_head,num_tensor_parallel_workers,batch_size,prefill_chunk_size,"
                         "kv_cache_size,time_stats.attn_decode.median,time_stats.attn_prefill.median\n"
                         "4096,32,32,3,1,0,64,0.01,\n";
  EXPECT_THROW(read_attention_rows({path}, test_support::catalog().gpu("h100")), InputError);
}
