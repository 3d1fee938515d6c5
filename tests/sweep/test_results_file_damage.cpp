// A sweep file damaged on disk: damaged rows are found by their checksum and left out, and
// damaged metadata fails the read within seconds (HDF5's retries would take hours).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "infersweep/common/error.hpp"
#include "infersweep/search/result_row.hpp"
#include "infersweep/sweep/results_file.hpp"
#include "infersweep/sweep/resume_plan.hpp"
#include "infersweep/sweep/sweep_status.hpp"
#include "infersweep/sweep/writer_lock.hpp"
#include "sweep/sweep_test_support.hpp"
#include "test_support.hpp"

using namespace infersweep;
using namespace infersweep::sweep;
using infersweep::test_support::probe_row;
using infersweep::test_support::result_row;

namespace {

// Writes a finished file whose rows have the capacities given (distinct bit patterns, so that
// a test can find one row's value in the file's bytes).
void write_file(const std::string& path, const std::vector<double>& capacities) {
  table::ColumnTable results(results_schema()), probes(probes_schema());
  for (size_t i = 0; i < capacities.size(); ++i) {
    const auto id = "00000000000000a" + std::to_string(i);
    results.append(result_row(id, "ok", 1, capacities[i]));
    probes.append(probe_row(id, 0, 1, 0.5));
  }
  SweepProgress p;
  p.run = 1;
  p.grid_configs = p.grid_done = static_cast<int64_t>(capacities.size());
  ResultsFileWriter writer(path, results, probes, {}, {{"run", int64_t{1}}}, p);
  writer.close({});
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST(ResultsFileDamage, ARowWhoseBytesChangedIsLeftOutAndNamedByItsConfigId) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  const std::vector<double> capacities{11.25, 22.5, 33.75};
  write_file(path, capacities);
  ASSERT_TRUE(read_results_file(path).damaged.empty());

  auto bytes = file_bytes(path);
  char pattern[sizeof(double)];
  std::memcpy(pattern, &capacities[1], sizeof pattern);
  const auto at = bytes.find(std::string(pattern, sizeof pattern));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 6] ^= 0x40;  // an exponent bit: the value becomes absurd, not NaN
  write_bytes(path, bytes);

  const auto contents = read_results_file(path);
  EXPECT_TRUE(contents.rows_checked);
  ASSERT_EQ(contents.damaged.size(), 1u);
  EXPECT_EQ(contents.damaged[0].table, "results");
  EXPECT_EQ(contents.damaged[0].row, 1);
  EXPECT_EQ(contents.damaged[0].config_id, "00000000000000a1");
  ASSERT_EQ(contents.results.rows(), 2u);
  EXPECT_EQ(contents.results.float64("capacity_qps"), (std::vector<double>{11.25, 33.75}));
  EXPECT_EQ(contents.probes.rows(), 3u);
  const auto line = describe_damaged_rows(contents);
  EXPECT_NE(line.find("1 damaged row"), std::string::npos) << line;
  EXPECT_NE(line.find("00000000000000a1"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// One flipped metadata byte made every reader retry for hours. The read runs in a child
// process, so that a hang fails this test instead of stalling the suite.
TEST(ResultsFileDamage, DamagedMetadataFailsWithinSecondsSayingTheWayOut) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  write_file(path, {1.0, 2.0});
  auto bytes = file_bytes(path);
  bytes[200] = static_cast<char>(0xff);
  write_bytes(path, bytes);
  const auto message_path = (dir.path / "message").string();

  const auto start = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 3;
    try {
      read_results_file(path);
    } catch (const InputError& e) {
      std::ofstream(message_path) << e.what();
      code = 0;
    } catch (...) {
      code = 4;
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      FAIL() << "reading a file with one damaged metadata byte still runs after 20 s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "expected an InputError";
  const auto message = file_bytes(message_path);
  EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("fresh sweep"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ResultsFileDamage, AResumeOfAReadOnlyFileIsRefused) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  write_file(path, {1.0});
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
  try {
    WriterLock lock(path);
    FAIL() << "a read-only file was accepted for writing";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("read-only"), std::string::npos) << e.what();
  }
}

// Deleting <out>.lock let a second sweep in; the lock on the results file itself still holds.
// (Open-file-description locks conflict between two descriptions of one process too.)
TEST(ResultsFileDamage, ASecondWriterIsRefusedAfterTheLockFileIsDeleted) {
  test_support::TempDir dir;
  const auto path = (dir.path / "r.h5").string();
  write_file(path, {1.0});
  WriterLock first(path);
  ASSERT_TRUE(std::filesystem::remove(path + ".lock"));
  try {
    WriterLock second(path);
    FAIL() << "two writers hold one results file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("another sweep is writing " + path), std::string::npos) << e.what();
  }
}

TEST(ResultsFileDamage, AResumeRunsAgainAConfigWhoseProbeRowIsDamaged) {
  ResultsFileContents c;
  c.progress.run = 1;
  table::ColumnTable results(results_schema()), probes(probes_schema());
  for (const std::string id : {"000000000000000a", "000000000000000b"}) {
    results.append(result_row(id, "ok", 1, 2.0));
    probes.append(probe_row(id, 0, 1, 0.5));
  }
  c.results = results;
  c.probes = probes;
  c.damaged = {{"probes", 2, "000000000000000b"}};  // b's second probe was left out by the reader
  search::SearchUnit a, b;
  a.config_id = "000000000000000a";
  b.config_id = "000000000000000b";
  const auto plan = plan_resume(&c, {a, b}, false);
  EXPECT_EQ(plan.to_search, (std::vector<size_t>{1}));
  EXPECT_EQ(plan.results.text("config_id"), (std::vector<std::string>{"000000000000000a"}));
  EXPECT_EQ(plan.probes.text("config_id"), (std::vector<std::string>{"000000000000000a"}));
}

TEST(SweepStatus, TextFromADamagedFileIsPrintedWithItsInvalidBytesEscaped) {
  sweep::ResultsFileContents c;
  c.attributes = {{"grid_file", std::string("grids/\xce.yaml")}};
  c.runs = {{{"run", int64_t{1}}, {"start_time", std::string("2026-11-27T10:00:00\xff")}, {"ranks", int64_t{2}}}};
  c.progress.run = 1;
  c.results = table::ColumnTable(search::result_columns());
  c.probes = table::ColumnTable(search::probe_columns());
  const auto text = sweep::describe_sweep("s.h5", c, sweep::WriterPresence::absent, 0);
  EXPECT_NE(text.find("grids/\\xce.yaml"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-11-27T10:00:00\\xff"), std::string::npos) << text;
  for (const char ch : text) EXPECT_LT(static_cast<unsigned char>(ch), 0x80) << text;
}
