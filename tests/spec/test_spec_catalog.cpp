#include <gtest/gtest.h>

#include <fstream>

#include "infersweep/common/error.hpp"
#include "infersweep/spec/gpu_price.hpp"
#include "test_support.hpp"

using namespace infersweep;
using infersweep::test_support::TempDir;

TEST(SpecCatalog, ShipsTheModelsGpusAndNodesVidurUses) {
  const auto& c = test_support::catalog();
  EXPECT_EQ(c.models().size(), 8u);
  EXPECT_EQ(c.gpus().size(), 4u);
  EXPECT_EQ(c.nodes().size(), 6u);
  const auto& m = c.model("meta-llama/Llama-2-70b-hf");
  EXPECT_EQ(m.num_layers, 80);
  EXPECT_EQ(m.num_q_heads, 64);
  EXPECT_EQ(m.num_kv_heads, 8);
  EXPECT_EQ(m.hidden_size, 8192);
  EXPECT_EQ(m.mlp_hidden_size, 28672);
  EXPECT_TRUE(m.is_gqa());
  EXPECT_FALSE(c.model("phi-2").post_attention_norm);  // short, case-insensitive name
  EXPECT_DOUBLE_EQ(c.gpu("h100").price_per_hour, 4.25);
  EXPECT_DOUBLE_EQ(c.gpu("a100").price_per_hour, 2.21);
  EXPECT_DOUBLE_EQ(c.gpu("a40").price_per_hour, 1.28);
  EXPECT_EQ(c.node("a100_dgx").devices_per_node, 8);
  EXPECT_EQ(c.node("h100_pairwise_nvlink").devices_per_node, 4);
}

TEST(SpecCatalog, UnknownNamesListWhatExists) {
  try {
    test_support::catalog().model("gpt-5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.setting_name(), "model");
    EXPECT_EQ(e.message().rfind("unknown model 'gpt-5' (known: Qwen/Qwen-72B", 0), 0u) << e.message();
  }
  EXPECT_THROW(test_support::catalog().gpu("v100"), InputError);
}

TEST(SpecCatalog, AUserAddsAModelByAddingAFile) {
  TempDir dir;
  std::filesystem::copy(test_support::data_dir(), dir.path, std::filesystem::copy_options::recursive);
  std::ofstream(dir.file("models/tiny.ini")) << "name = me/tiny\nnum_layers = 2\nnum_q_heads = 4\nnum_kv_heads = 2\n"
                                                "hidden_size = 256\nmlp_hidden_size = 512\ngated_mlp = true\n"
                                                "vocab_size = 1000\nnorm = rms_norm\npost_attention_norm = true\n"
                                                "max_position_embeddings = 2048\n";
  const auto c = spec::SpecCatalog::load(dir.path.string());
  EXPECT_EQ(c.model("tiny").num_layers, 2);
}

TEST(SpecFiles, BadFilesAreReportedWithFileLineAndKey) {
  TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& message) {
    const auto path = dir.file("m.ini");
    std::ofstream(path) << text;
    try {
      spec::read_gpu_spec(path);
      FAIL() << "expected InputError for: " << text;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), path + message);
    }
  };
  const std::string good =
      "name = x\nfp16_tflops = 1\nmemory_gib = 1\nmemory_bandwidth_gbps = 1\nsm_count = 1\n"
      "price_per_hour = 1\nprice_source = s\nprice_date = d\n";
  expect_error(good + "colour = red\n", ":9: colour: unknown key");
  expect_error("name = x\nfp16_tflops = fast\n", ":2: fp16_tflops: expected a finite number, got 'fast'");
  expect_error("name = x\nname = y\n", ":2: name: repeated key (first given on line 1)");
  expect_error("just words\n", ":1: expected 'key = value', got 'just words'");
  expect_error("name = x\n", ": fp16_tflops: required key is missing");
}

TEST(SpecFiles, AByteOrderMarkIsAccepted) {
  TempDir dir;
  const auto path = dir.file("m.ini");
  std::ofstream(path)
      << "\xef\xbb\xbfname = x\nfp16_tflops = 1\nmemory_gib = 1\nmemory_bandwidth_gbps = 1\nsm_count = 1\n"
         "price_per_hour = 1\nprice_source = s\nprice_date = d\n";
  EXPECT_EQ(spec::read_gpu_spec(path).name, "x");
}

TEST(SpecCatalog, TheH200IsAHopperWithMoreAndFasterMemoryOnNodesThatBorrowTheH100sNetwork) {
  const auto& c = test_support::catalog();
  const auto& h200 = c.gpu("h200");
  const auto& h100 = c.gpu("h100");
  EXPECT_DOUBLE_EQ(h200.fp16_tflops, h100.fp16_tflops);
  EXPECT_EQ(h200.sm_count, h100.sm_count);
  EXPECT_DOUBLE_EQ(h200.memory_gib, 141);
  EXPECT_DOUBLE_EQ(h200.memory_bandwidth_gbps, 4800);
  EXPECT_GT(h200.price_per_hour, 0);
  EXPECT_EQ(h200.price_date, "2026-09-20");
  const auto& node = c.node("h200_dgx");
  const auto& dgx = c.node("h100_dgx");
  EXPECT_EQ(node.gpu, "h200");
  EXPECT_EQ(node.network_profile, "h100_dgx");
  EXPECT_EQ(dgx.network_profile, "h100_dgx");  // a node's own, unless it says otherwise
  EXPECT_EQ(node.devices_per_node, dgx.devices_per_node);
  EXPECT_DOUBLE_EQ(node.intra_node_bandwidth_gbps, dgx.intra_node_bandwidth_gbps);
  EXPECT_DOUBLE_EQ(node.inter_node_bandwidth_gbps, dgx.inter_node_bandwidth_gbps);
}

TEST(SpecCatalog, ABorrowedNetworkProfileMustNameANode) {
  TempDir dir;
  std::filesystem::copy(test_support::data_dir(), dir.path, std::filesystem::copy_options::recursive);
  const auto node = dir.file("nodes/h200_dgx.ini");
  std::string text;
  {
    std::ifstream in(node);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("network_profile = h100_dgx"), 26, "network_profile = h100_dxg");
  std::ofstream(node) << text;
  try {
    spec::SpecCatalog::load(dir.path.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(node + ": network_profile: unknown node 'h100_dxg' (known: a100_dgx", 0), 0u)
        << e.what();
  }
}

TEST(GpuPrices, TheSpecsPriceCarriesItsFileSourceAndDate) {
  const auto p = spec::spec_price(test_support::catalog().gpu("h100"));
  EXPECT_DOUBLE_EQ(p.per_hour, 4.25);
  EXPECT_EQ(p.source,
            "gpu spec h100.ini: CoreWeave on-demand list price, as used by Vidur's analyzer/constants.py (2024-02-07)");
}

TEST(GpuPrices, APricesFileStatesSourcesForTheFileOrPerGpu) {
  const auto entries = spec::parse_price_file(
      "# quotes\nsource = list prices\ndate = 2026-01-02\nh100 = 3.5\nh200 = 4\nh200.source = a quote\n"
      "a100 = 1.25\na100.date = 2025-12-31\n",
      "/some/where/p.ini");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].gpu, "h100");
  EXPECT_DOUBLE_EQ(entries[0].price.per_hour, 3.5);
  EXPECT_EQ(entries[0].price.source, "prices file p.ini:4: list prices (2026-01-02)");
  EXPECT_EQ(entries[0].file, "/some/where/p.ini");
  EXPECT_EQ(entries[0].line, 4);
  EXPECT_EQ(entries[1].price.source, "prices file p.ini:5: a quote (2026-01-02)");
  EXPECT_EQ(entries[2].price.source, "prices file p.ini:7: list prices (2025-12-31)");
  EXPECT_EQ(spec::parse_price_file("a40 = 1\n", "q.ini")[0].price.source, "prices file q.ini:1");
}

TEST(GpuPrices, BadPricesFilesNameTheLineAndKey) {
  auto error_of = [](const std::string& text) {
    try {
      spec::parse_price_file(text, "p.ini");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("h100 = 3\nh200 = cheap\n"),
            "p.ini:2: h200: expected a positive price in USD per GPU-hour, got 'cheap'");
  EXPECT_EQ(error_of("h100 = -3\n"), "p.ini:1: h100: expected a positive price in USD per GPU-hour, got '-3'");
  EXPECT_EQ(error_of("h100 = 0\n"), "p.ini:1: h100: expected a positive price in USD per GPU-hour, got '0'");
  EXPECT_EQ(error_of("h100 = 3\nh100.currency = EUR\n"),
            "p.ini:2: h100.currency: unknown key (expected <gpu> = <USD per GPU-hour>, <gpu>.source, <gpu>.date, "
            "source or date)");
  EXPECT_EQ(error_of("h100 = 3\nh200.source = x\n"),
            "p.ini:2: h200.source: the file gives no price for 'h200' (expected a line 'h200 = <USD per GPU-hour>')");
  EXPECT_EQ(error_of("h100 = 3\nh100 = 4\n"), "p.ini:2: h100: repeated key (first given on line 1)");
  EXPECT_EQ(error_of("h100 =\n"), "p.ini:1: h100: expected a value, got nothing");
  EXPECT_EQ(error_of("source = s\n"), "p.ini: no prices (expected lines such as 'h100 = 4.25', USD per GPU-hour)");
}
