#include "infersweep/sweep/provenance.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "infersweep/common/version.hpp"
#include "infersweep_git_commit.hpp"

namespace infersweep::sweep {

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string mpi_library_version() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<size_t>(length));
  return text.substr(0, text.find('\n'));
}

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

std::vector<table::Field> run_provenance(const RunContext& c) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string threads;
  for (size_t r = 0; r < c.threads_per_rank.size(); ++r)
    threads += (r ? "," : "") + std::to_string(c.threads_per_rank[r]);
  return {
      {"run", c.run},
      {"engine_version", std::string(engine_version())},
      {"git_commit", std::string(INFERSWEEP_GIT_COMMIT)},
      {"build_type", std::string(INFERSWEEP_BUILD_TYPE)},
      {"compiler", std::string(INFERSWEEP_COMPILER)},
      {"mpi_library", mpi_library_version()},
      {"hdf5_version", hdf5_library_version()},
      {"command_line", c.command_line},
      {"grid_file", c.grid_file},
      {"grid_text", c.grid_text},
      {"seed", c.seed},
      {"ranks", static_cast<int64_t>(c.ranks)},
      {"threads_per_rank", threads},
      {"rank0_works", c.rank0_works},
      {"retry_failed", c.retry_failed},
      {"host", std::string(host)},
      {"slurm_job_id", environment("SLURM_JOB_ID")},
      {"slurm_array_task_id", environment("SLURM_ARRAY_TASK_ID")},
      {"start_time", utc_now_iso8601()},
  };
}

}  // namespace infersweep::sweep
