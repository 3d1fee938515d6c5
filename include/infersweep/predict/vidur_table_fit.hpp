#pragma once
// Whether a set of Vidur prediction tables was made for the configuration it is given to.
// Vidur's file names carry a hash of its predictor settings and of the chosen estimator, which
// cannot be recomputed without Vidur; what the tables do show is checked instead:
//   * which operators have tables: all_reduce exists iff TP > 1, send_recv iff PP > 1, and CPU
//     overhead tables (schedule, sampler_e2e, ...) only when Vidur modelled CPU overheads,
//     which the table predictor does not;
//   * the grid: token operators at 1..prediction_max_tokens_per_request (times
//     prediction_max_batch_size for schedulers whose batches may hold that many tokens),
//     decode attention at batch 1..prediction_max_batch_size x context 0..max step
//     kv_cache_prediction_granularity, prefill attention at the same contexts x chunk
//     1..prediction_max_prefill_chunk_size; every point must be present, and contexts must be
//     multiples of the granularity;
//   * the model shape and GPU through the four GEMMs at the largest token count: their FLOPs
//     (for the configured model and TP) over their tabulated times may not exceed the GPU's
//     dense peak by more than 10 %, and, from 1024 tokens on, where GEMMs are compute-bound,
//     the four rates must lie within a factor of 2 of each other.
// A table set for the same model shape, TP and PP measured on another GPU passes unless it is
// faster than this GPU can be.
#include <string>

#include "infersweep/predict/operator_time_model.hpp"
#include "infersweep/predict/vidur_table_model.hpp"

namespace infersweep::predict {

// The first check, on file names alone; throws InputError naming `dir`, what the configuration
// expects and what the directory holds.
void check_table_files_fit(const std::string& dir, const PredictorContext& context);

// The grid and GEMM checks on tables read by read_vidur_tables; throws InputError the same way.
void check_tables_fit(const VidurTables& tables, const PredictorContext& context);

}  // namespace infersweep::predict
