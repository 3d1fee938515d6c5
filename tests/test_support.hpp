#pragma once
// Shared helpers of the test suites: where the shipped specs and Vidur's data are, and quick
// construction of simulations.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "infersweep/common/error.hpp"
#include "infersweep/predict/execution_time_predictor.hpp"
#include "infersweep/sim/simulation.hpp"
#include "infersweep/spec/spec_catalog.hpp"

namespace infersweep::test_support {

// The message of the InputError that `f` throws; a test failure, and "(no error)", when it
// throws none.
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "(no error)";
}

inline std::string data_dir() { return INFERSWEEP_TEST_DATA_DIR; }

inline std::string vidur_data_dir() {
  if (const char* env = std::getenv("INFERSWEEP_VIDUR_DATA"); env && *env) return env;
  return INFERSWEEP_TEST_VIDUR_DATA;
}

inline std::string profiling_dir() { return vidur_data_dir() + "/profiling"; }

// The measured H100/H200 operator profiles (gpu-profiles/<sku>, Vidur's layout).
inline std::string gpu_profiles_dir() { return INFERSWEEP_TEST_GPU_PROFILES; }

inline std::string legacy_attention_file() { return vidur_data_dir() + "/legacy-e2d00e9/profiling/a100/attention.csv"; }

// Prediction grids built by one test are reused by the next (ctest runs each test alone).
inline std::string predictor_cache_dir() { return INFERSWEEP_TEST_CACHE_DIR; }

inline std::string vidur_trace(const std::string& name) { return vidur_data_dir() + "/processed_traces/" + name; }

inline const spec::SpecCatalog& catalog() {
  static const spec::SpecCatalog loaded = spec::SpecCatalog::load(data_dir());
  return loaded;
}

// The predictor inputs of one deployment of catalog specs, with default predictor options.
inline predict::PredictorContext predictor_context(const std::string& model, const std::string& gpu,
                                                   const std::string& node, int64_t tp, int64_t pp) {
  predict::PredictorContext c;
  c.model = catalog().model(model);
  c.gpu = catalog().gpu(gpu);
  c.node = catalog().node(node);
  c.tensor_parallel = tp;
  c.pipeline_parallel = pp;
  return c;
}

inline predict::ExecutionTimePredictor make_predictor(const sim::SimulationSetup& setup) {
  return predict::ExecutionTimePredictor::create(sim::predictor_context(setup));
}

// A temporary directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("infersweep-test-" + std::to_string(std::rand()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace infersweep::test_support
