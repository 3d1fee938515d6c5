// read_prediction_table walks the text once without a string per cell. It must give the table
// and the errors of the earlier reader, which parsed the whole file into a CsvTable first and
// then converted each cell: that reader is kept here as the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/csv_table.hpp"
#include "infersweep/io/gzip_file.hpp"
#include "infersweep/predict/vidur_table_model.hpp"
#include "test_support.hpp"

namespace infersweep::predict {
namespace {

namespace fs = std::filesystem;

uint64_t pack(int64_t k0, int64_t k1) { return (static_cast<uint64_t>(k0) << 32) | static_cast<uint64_t>(k1); }

PredictionTable reference_read(const std::string& path, const std::string& op,
                               const std::vector<std::string>& key_columns) {
  const auto table =
      io::is_gzip_path(path) ? io::CsvTable::parse(io::read_gzip_file(path), path) : io::CsvTable::read(path);
  std::vector<size_t> keys;
  for (const auto& k : key_columns) keys.push_back(table.column(k));
  const auto prediction = table.column("prediction");
  PredictionTable out;
  out.op = op;
  out.source = path;
  out.key_columns = key_columns;
  out.values.reserve(table.num_rows());
  for (size_t row = 0; row < table.num_rows(); ++row) {
    int64_t k[2] = {0, 0};
    for (size_t i = 0; i < keys.size(); ++i) {
      const double v = table.as_double(row, keys[i]);
      if (v != std::floor(v) || v < 0 || v >= 4294967296.0)
        throw InputError::in_file(path, table.line_of(row), key_columns[i], "expected a whole number key");
      k[i] = static_cast<int64_t>(v);
    }
    const double ms = table.as_double(row, prediction);
    if (!(ms >= 0))
      throw InputError::in_file(path, table.line_of(row), "column 'prediction'",
                                "expected a non-negative time in ms, got " + format_double(ms));
    out.values[keys.size() == 2 ? pack(k[0], k[1]) : static_cast<uint64_t>(k[0])] = ms;
    out.max_key0 = std::max(out.max_key0, k[0]);
  }
  return out;
}

uint64_t bits(double value) {
  uint64_t b = 0;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

// Equal down to the bits of every value (-0.0 is not 0.0 here) and to the order in which the
// map is walked, which the grid checks report from.
void expect_identical(const PredictionTable& a, const PredictionTable& b) {
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.key_columns, b.key_columns);
  EXPECT_EQ(a.max_key0, b.max_key0);
  EXPECT_EQ(a.values.bucket_count(), b.values.bucket_count());
  ASSERT_EQ(a.values.size(), b.values.size());
  auto i = a.values.begin();
  auto j = b.values.begin();
  for (; i != a.values.end(); ++i, ++j) {
    ASSERT_EQ(i->first, j->first);
    ASSERT_EQ(bits(i->second), bits(j->second)) << "key " << i->first;
  }
}

// What a read throws, as rendered and by its parts.
std::string error_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const InputError& e) {
    return std::string(e.what()) + " | file " + e.file() + " | line " + std::to_string(e.line()) + " | field " +
           e.field() + " | message " + e.message();
  }
  return "(accepted)";
}

struct Case {
  const char* name;
  const char* text;
};

const std::vector<std::string> kOneKey = {"num_tokens"};
const std::vector<std::string> kTwoKeys = {"batch_size", "kv_cache_size"};

TEST(PredictionTableReader, OddlyFormattedTablesReadAsTheWholeFileReaderReadsThem) {
  test_support::TempDir dir;
  const Case cases[] = {
      {"vidur", "num_tokens,prediction\n1,0.0020000000000000013\n2,0.0020000000000000013\n"},
      {"pandas floats and exponents", "num_tokens,prediction\n64.0,1e-05\n1.0,2.5E+1\n2,0.0\n"},
      {"quoted cells and header", "\"num_tokens\",\"prediction\"\n\"1\",\" 0.5 \"\n2,\"0\"\n"},
      {"quotes inside a cell", "num_tokens,prediction\n\"1\"2,0.25\n"},
      {"CRLF, BOM, blank lines, no final newline", "\xEF\xBB\xBFnum_tokens,prediction\r\n\r\n1,0.5\r\n  \n2,0.75"},
      {"spaces and tabs around cells", " num_tokens\t, prediction \n 1 ,\t0.5\n"},
      {"extra columns in another order", "prediction,extra,num_tokens\n0.5,x,1\n0.25,\"a,\"\"b\"\"\",2\n"},
      {"duplicate keys: the last wins", "num_tokens,prediction\n1,0.5\n1,0.25\n3,1\n"},
      {"leading zeros, negative zero", "num_tokens,prediction\n007,-0\n-0,-0.0\n"},
      {"largest keys", "num_tokens,prediction\n4294967295,1\n999999999,2\n1000000000,3\n"},
      {"header only", "num_tokens,prediction\n"},
      {"a duplicated column: the first is read", "num_tokens,num_tokens,prediction\n1,2,0.5\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = dir.file("mlp_up_proj_0123abcd_predictions.csv");
    std::ofstream(path, std::ios::binary) << c.text;
    expect_identical(read_prediction_table(path, "mlp_up_proj", kOneKey), reference_read(path, "mlp_up_proj", kOneKey));
  }
  const auto path = dir.file("attn_decode_0123abcd_predictions.csv");
  std::ofstream(path) << "batch_size,kv_cache_size,prediction\n1,0,0.5\n1,64.0,0.75\n128,4096,2\n2,0,\"1e-3\"\n";
  expect_identical(read_prediction_table(path, "attn_decode", kTwoKeys), reference_read(path, "attn_decode", kTwoKeys));
}

struct ErrorCase {
  const char* text;
  std::string what;  // after the path
  int64_t line;      // 0 where the error names no line by its parts (a cell that is no number)
  std::string field;
};

// `text` written to `path` is refused with the case's message, line and field, and with the
// same error as the whole-file reader gives.
void expect_refused(const std::string& path, const std::string& text, const ErrorCase& c) {
  SCOPED_TRACE(c.text);
  std::ofstream(path, std::ios::binary) << text;
  try {
    read_prediction_table(path, "attn_decode", kTwoKeys);
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), path + c.what);
    EXPECT_EQ(e.line(), c.line);
    EXPECT_EQ(e.field(), c.field);
  }
  EXPECT_EQ(error_of([&] { read_prediction_table(path, "attn_decode", kTwoKeys); }),
            error_of([&] { reference_read(path, "attn_decode", kTwoKeys); }));
}

TEST(PredictionTableReader, BadInputGivesTheErrorsOfTheWholeFileReader) {
  test_support::TempDir dir;
  const auto path = dir.file("attn_decode_0123abcd_predictions.csv");
  const std::string header = "batch_size,kv_cache_size,prediction\n";
  // The messages of the earlier reader, the same before and after.
  const ErrorCase cases[] = {
      {"1,0,0.5\n1.5,0,0.5\n", ":3: batch_size: expected a whole number key", 3, "batch_size"},
      {"1,0,0.5\n2,64.5,0.5\n", ":3: kv_cache_size: expected a whole number key", 3, "kv_cache_size"},
      {"-1,0,0.5\n", ":2: batch_size: expected a whole number key", 2, "batch_size"},
      {"4294967296,0,0.5\n", ":2: batch_size: expected a whole number key", 2, "batch_size"},
      {"1,0,0.5\n2,0,-0.25\n", ":3: column 'prediction': expected a non-negative time in ms, got -0.25", 3,
       "column 'prediction'"},
      {"1,0,nan\n", ":2: column 'prediction': expected a finite number, got 'nan'", 0, ""},
      {"1,0,\"\"\n", ":2: column 'prediction': expected a finite number, got ''", 0, ""},
      {"1,abc,0.5\n", ":2: column 'kv_cache_size': expected a finite number, got 'abc'", 0, ""},
      {"1,0,0.5\n2,0\n", ":3: expected 3 cells as in the header, got 2", 3, ""},
      {"1,0,0.5\n\"2,0,0.5\n", ":3: unterminated quoted cell", 3, ""},
      // A key is checked before the time, the first key before the second, row by row.
      {"1.5,0,-1\n", ":2: batch_size: expected a whole number key", 2, "batch_size"},
      {"1,x,-1\n2,0,y\n", ":2: column 'kv_cache_size': expected a finite number, got 'x'", 0, ""},
      // The whole file is read before any value: a malformed line anywhere comes first.
      {"1,0,-1\n\n2,0,0.5,7\n", ":4: expected 3 cells as in the header, got 4", 4, ""},
  };
  for (const auto& c : cases) expect_refused(path, header + c.text, c);
}

TEST(PredictionTableReader, AMissingColumnComesAfterMalformedLinesAndBeforeBadValues) {
  test_support::TempDir dir;
  const auto path = dir.file("attn_decode_0123abcd_predictions.csv");
  const std::string missing =
      ":1: column 'kv_cache_size': missing from the header (columns: batch_size, kv, prediction)";
  const ErrorCase cases[] = {
      {"batch_size,kv,prediction\n1,0,0.5\n", missing, 1, "column 'kv_cache_size'"},
      {"batch_size,kv,prediction\n1.5,0,-1\n", missing, 1, "column 'kv_cache_size'"},
      {"batch_size,kv,prediction\n1,0\n", ":2: expected 3 cells as in the header, got 2", 2, ""},
      {"\n\nbatch_size,kv,prediction\n", missing, 1, "column 'kv_cache_size'"},  // line 1, as before
      {"", ": file is empty", 0, ""},
      {" \n\r\n", ": file is empty", 0, ""},
  };
  for (const auto& c : cases) expect_refused(path, c.text, c);
}

// Vidur's own tables, when the reference set is at hand (../shared/vidur-reference).
TEST(PredictionTableReader, VidurTablesReadAsTheWholeFileReaderReadsThem) {
  std::string root = INFERSWEEP_TEST_VIDUR_REFERENCE;
  if (const char* env = std::getenv("INFERSWEEP_VIDUR_REFERENCE"); env && *env) root = env;
  const fs::path dir = fs::path(root) / "prediction-tables" / "a100_llama2-7b_tp1_pp1_block16_maxtok4096_rfdefault";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no " << dir;
  struct Table {
    const char* op;
    std::vector<std::string> keys;
  };
  std::vector<Table> tables = {{"add", kOneKey},
                               {"attn_kv_cache_save", kOneKey},
                               {"mlp_up_proj", kOneKey},
                               {"attn_decode", {"batch_size", "kv_cache_size"}}};
#if !defined(__SANITIZE_ADDRESS__)
  // 266,240 rows: a second or so through the reference reader, far longer under sanitizers.
  tables.push_back({"attn_prefill", {"kv_cache_size", "prefill_chunk_size_squared"}});
#endif
  for (const auto& t : tables) {
    SCOPED_TRACE(t.op);
    const auto path = find_prediction_table(dir.string(), t.op);
    const auto table = read_prediction_table(path, t.op, t.keys);
    EXPECT_GT(table.values.size(), 4000u);
    expect_identical(table, reference_read(path, t.op, t.keys));
  }
}

}  // namespace
}  // namespace infersweep::predict
