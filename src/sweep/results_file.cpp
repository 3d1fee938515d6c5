#include "infersweep/sweep/results_file.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "hdf5_support.hpp"
#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/sweep/isolated_run.hpp"
#include "infersweep/sweep/row_checksum.hpp"
#include "infersweep/sweep/sweep_schema.hpp"
#include "infersweep/sweep/writer_lock.hpp"

namespace infersweep::sweep {

const char* to_string(SweepState state) {
  switch (state) {
    case SweepState::running:
      return "running";
    case SweepState::complete:
      return "complete";
    case SweepState::stopped:
      return "stopped";
    case SweepState::failed:
      return "failed";
  }
  return "unknown";
}

namespace {

using h5::check;
using h5::check_id;
using h5::Handle;

// `state_as_enum` false: the record of files written before the state became an enum.
h5::Handle progress_type(bool state_as_enum = true) {
  Handle t(H5Tcreate(H5T_COMPOUND, sizeof(SweepProgress)), H5Tclose);
  auto i64 = [&](const char* name, size_t offset) { check(H5Tinsert(t.get(), name, offset, H5T_NATIVE_INT64), name); };
  auto f64 = [&](const char* name, size_t offset) { check(H5Tinsert(t.get(), name, offset, H5T_NATIVE_DOUBLE), name); };
  i64("run", HOFFSET(SweepProgress, run));
  i64("results_rows", HOFFSET(SweepProgress, results_rows));
  i64("probes_rows", HOFFSET(SweepProgress, probes_rows));
  i64("grid_configs", HOFFSET(SweepProgress, grid_configs));
  i64("grid_done", HOFFSET(SweepProgress, grid_done));
  i64("grid_failed", HOFFSET(SweepProgress, grid_failed));
  i64("done_this_run", HOFFSET(SweepProgress, done_this_run));
  // The state as an enum over int64, so that readers get its names from the file.
  Handle state(H5Tenum_create(H5T_NATIVE_INT64), H5Tclose);
  for (auto value : {SweepState::running, SweepState::complete, SweepState::stopped, SweepState::failed}) {
    const auto code = static_cast<int64_t>(value);
    check(H5Tenum_insert(state.get(), to_string(value), &code), "state type");
  }
  if (state_as_enum)
    check(H5Tinsert(t.get(), "state", HOFFSET(SweepProgress, state), state.get()), "state");
  else
    i64("state", HOFFSET(SweepProgress, state));
  f64("start_unix", HOFFSET(SweepProgress, start_unix));
  f64("heartbeat_unix", HOFFSET(SweepProgress, heartbeat_unix));
  return t;
}

size_t element_size(const table::ColumnSpec& spec) {
  switch (spec.kind) {
    case table::ColumnKind::text:
      return spec.text_width;
    case table::ColumnKind::boolean:
    case table::ColumnKind::enumeration:
      return 1;
    default:
      return 8;
  }
}

// About 16 KiB per chunk: chunks are stored uncompressed and allocated whole, so small
// sweeps stay small; appends touch only the last chunk.
hsize_t chunk_rows(const table::ColumnSpec& spec) { return std::clamp<hsize_t>(16384 / element_size(spec), 32, 16384); }

// The column's values in the memory layout of its file type (text: fixed-width, NUL-padded,
// cut at a UTF-8 character boundary when too long).
std::string packed(const table::ColumnSpec& spec, const table::ColumnTable::Column& column) {
  return std::visit(
      [&](const auto& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        std::string bytes;
        if constexpr (std::is_same_v<T, std::string>) {
          bytes.assign(values.size() * spec.text_width, '\0');
          for (size_t i = 0; i < values.size(); ++i) {
            size_t n = std::min(values[i].size(), spec.text_width);
            if (n < values[i].size())
              while (n > 0 && (static_cast<unsigned char>(values[i][n]) & 0xC0) == 0x80) --n;
            std::memcpy(bytes.data() + i * spec.text_width, values[i].data(), n);
          }
        } else {
          bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
        }
        return bytes;
      },
      column);
}

void write_bytes(hid_t dataset, const table::ColumnSpec& spec, const std::string& bytes, hsize_t first, hsize_t count) {
  if (count == 0) return;
  const std::string what = "write column " + spec.name;
  const hsize_t total = first + count;
  check(H5Dset_extent(dataset, &total), what);
  Handle file_space(check_id(H5Dget_space(dataset), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  const auto type = h5::column_type(spec);
  check(H5Dwrite(dataset, type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes.data()), what);
}

// The columns a table has in the file: its own, then the row checksum.
table::Schema stored_schema(const table::Schema& schema) {
  auto stored = schema;
  stored.push_back(row_checksum_column());
  return stored;
}

// Writes `rows` from row `first` on into the table's datasets (in stored_schema order), each
// row with its checksum.
void write_table_rows(const std::vector<Handle>& datasets, const table::Schema& schema, const table::ColumnTable& rows,
                      hsize_t first) {
  if (rows.schema().size() != schema.size() || datasets.size() != schema.size() + 1)
    throw std::logic_error("rows do not match the file's columns");
  const hsize_t count = rows.rows();
  RowChecksums checksums(count);
  for (size_t c = 0; c < schema.size(); ++c) {
    const auto bytes = packed(schema[c], rows.column(c));
    checksums.add_column(bytes, element_size(schema[c]));
    write_bytes(datasets[c].get(), schema[c], bytes, first, count);
  }
  const auto& values = checksums.values();
  write_bytes(datasets.back().get(), row_checksum_column(),
              std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t)), first, count);
}

std::vector<Handle> create_table(hid_t file, const std::string& name, const table::ColumnTable& table) {
  const auto group = h5::create_group(file, name);
  std::vector<std::string> names;
  std::vector<Handle> datasets;
  for (const auto& spec : stored_schema(table.schema())) {
    names.push_back(spec.name);
    const std::string what = "create column " + name + "/" + spec.name;
    const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = chunk_rows(spec);
    Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    check(H5Pset_chunk(dcpl.get(), 1, &chunk), what);
    const auto type = h5::column_type(spec);
    Handle dataset(check_id(H5Dcreate2(group.get(), spec.name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                                       H5P_DEFAULT),
                            what),
                   H5Dclose);
    h5::write_attribute(dataset.get(), {"units", spec.units});
    h5::write_attribute(dataset.get(), {"description", spec.description});
    datasets.push_back(std::move(dataset));
  }
  h5::write_text_list_attribute(group.get(), "columns", names);
  write_table_rows(datasets, table.schema(), table, 0);
  return datasets;
}

std::string run_group_name(int64_t run) {
  char name[32];
  std::snprintf(name, sizeof name, "%04lld", static_cast<long long>(run));
  return name;
}

Handle file_access_latest() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "file access properties");
  return fapl;
}

struct TableRead {
  table::ColumnTable table;      // the committed rows that are intact, without the checksum column
  std::vector<int64_t> damaged;  // committed rows whose checksum differs
  std::vector<std::string> damaged_ids;
  bool checked = false;  // whether the file stores row checksums
};

TableRead read_table(hid_t file, const std::string& name, int64_t rows, const std::string& path) {
  if (rows < 0) throw InputError(path + ": /progress counts " + std::to_string(rows) + " rows of /" + name);
  const auto group = h5::open_group(file, name);
  table::Schema schema;
  std::vector<Handle> datasets;
  for (const auto& column : h5::read_text_list_attribute(group.get(), "columns")) {
    Handle dataset(check_id(H5Dopen2(group.get(), column.c_str(), H5P_DEFAULT), "open column " + column), H5Dclose);
    table::ColumnSpec spec;
    spec.name = column;
    for (const auto& a : h5::read_attributes(dataset.get())) {
      if (a.name == "units") spec.units = table::field_text(a);
      if (a.name == "description") spec.description = table::field_text(a);
    }
    Handle type(H5Dget_type(dataset.get()), H5Tclose);
    switch (H5Tget_class(type.get())) {
      case H5T_STRING:
        spec.kind = table::ColumnKind::text, spec.text_width = H5Tget_size(type.get());
        break;
      case H5T_INTEGER:
        spec.kind = table::ColumnKind::int64;
        break;
      case H5T_FLOAT:
        spec.kind = table::ColumnKind::float64;
        break;
      case H5T_ENUM: {
        // FALSE/TRUE is a boolean column; any other enum type names its values.
        auto labels = h5::enum_labels(type.get());
        if (labels == std::vector<std::string>{"FALSE", "TRUE"}) {
          spec.kind = table::ColumnKind::boolean;
        } else {
          spec.kind = table::ColumnKind::enumeration;
          spec.labels = std::move(labels);
        }
        break;
      }
      default:
        throw InputError(path + ": " + name + "/" + column + ": unexpected element type");
    }
    schema.push_back(spec);
    datasets.push_back(std::move(dataset));
  }
  const auto count = static_cast<hsize_t>(rows);
  std::vector<std::string> bytes(schema.size());
  for (size_t c = 0; c < schema.size(); ++c) {
    const auto& spec = schema[c];
    const std::string what = "read column " + name + "/" + spec.name;
    Handle file_space(check_id(H5Dget_space(datasets[c].get()), what), H5Sclose);
    hsize_t extent = 0;
    H5Sget_simple_extent_dims(file_space.get(), &extent, nullptr);
    if (extent < count)
      throw InputError(path + ": " + name + "/" + spec.name + " has " + std::to_string(extent) + " rows, " +
                       std::to_string(rows) + " are committed");
    bytes[c].assign(count * element_size(spec), '\0');
    if (count == 0) continue;
    const hsize_t first = 0;
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
    Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    const auto type = h5::column_type(spec);
    check(H5Dread(datasets[c].get(), type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes[c].data()),
          what);
  }

  // The checksum column is checked and dropped: rows whose checksum differs are left out.
  TableRead read;
  const auto& checksum = row_checksum_column();
  const bool checked = !schema.empty() && schema.back().name == checksum.name && schema.back().kind == checksum.kind;
  read.checked = checked;
  std::vector<size_t> kept;
  if (checked) {
    schema.pop_back();
    RowChecksums expected(count);
    for (size_t c = 0; c < schema.size(); ++c) expected.add_column(bytes[c], element_size(schema[c]));
    const auto* stored = reinterpret_cast<const int64_t*>(bytes.back().data());
    const auto id = std::find_if(schema.begin(), schema.end(), [](const auto& s) { return s.name == "config_id"; });
    for (size_t i = 0; i < count; ++i) {
      int64_t value = 0;
      std::memcpy(&value, stored + i, sizeof value);
      if (value == expected.values()[i]) {
        kept.push_back(i);
        continue;
      }
      read.damaged.push_back(static_cast<int64_t>(i));
      if (id != schema.end() && id->kind == table::ColumnKind::text) {
        const char* p = bytes[static_cast<size_t>(id - schema.begin())].data() + i * id->text_width;
        read.damaged_ids.emplace_back(p, strnlen(p, id->text_width));
      } else {
        read.damaged_ids.emplace_back();
      }
    }
  } else {
    for (size_t i = 0; i < count; ++i) kept.push_back(i);
  }

  table::ColumnTable table(schema);
  for (size_t c = 0; c < schema.size(); ++c) {
    const auto& spec = schema[c];
    const size_t size = element_size(spec);
    std::visit(
        [&](auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          values.resize(kept.size());
          for (size_t k = 0; k < kept.size(); ++k) {
            const char* p = bytes[c].data() + kept[k] * size;
            if constexpr (std::is_same_v<T, std::string>)
              values[k].assign(p, strnlen(p, spec.text_width));
            else
              std::memcpy(&values[k], p, sizeof(T));
          }
        },
        table.column(c));
  }
  table.set_rows_from_columns();
  read.table = std::move(table);
  return read;
}

// A reader that opens the file while it is not in SWMR-write mode (the moment the writer
// switches modes at the end, or a plain `h5ls`) holds a shared lock on it for as long as it
// reads, and the writer's open then fails at once. Readers are brief, so the writer waits for
// them, up to `wait_s`, instead of failing the sweep.
hid_t open_when_unlocked(const std::string& path, unsigned flags, hid_t fapl, const std::string& what,
                         double wait_s = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  auto pause = std::chrono::milliseconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    h5::QuietErrors quiet;
    const hid_t id = H5Fopen(path.c_str(), flags, fapl);
    if (id >= 0) return id;
    std::this_thread::sleep_for(pause);
    pause = std::min(2 * pause, std::chrono::milliseconds(200));
  }
  return check_id(H5Fopen(path.c_str(), flags, fapl), what);
}

// Under SWMR a reader may catch the writer mid-flush, so HDF5 retries a metadata read whose
// checksum fails; its default of 100 attempts with doubling pauses takes hours on a damaged
// file. 25 attempts take some tens of milliseconds, longer than a flush.
constexpr unsigned kMetadataReadAttempts = 25;

Handle reader_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  check(H5Pset_metadata_read_attempts(fapl.get(), kMetadataReadAttempts), "file access properties");
  return fapl;
}

bool mentions(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return text.find(w) != std::string::npos; });
}

// The one line for a file that HDF5 opens or reads only in part, saying the way out.
[[noreturn]] void throw_unreadable(const std::string& path, const std::string& detail) {
  if (mentions(detail, {"already open for write", "consistency flags", "not already open for SWMR writing"}))
    throw StaleWritingMark(path + ": marked as still open for writing by a process that is gone (HDF5 status flag; " +
                           detail + "); if no sweep is writing it, clear the mark with `h5clear -s " + path +
                           "` and run again (a resume clears it itself)");
  throw InputError(path + ": damaged or truncated HDF5 file (" + detail +
                   "); its rows cannot be read: move it aside and start a fresh sweep");
}

Handle open_for_reading(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw InputError(path + ": no such file");
  if (std::filesystem::is_directory(path, error))
    throw InputError(path + ": not an infersweep sweep file (a directory)");
  h5::QuietErrors quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    h5::take_error_text();
    throw InputError(path + ": not an infersweep sweep file (not an HDF5 file)");
  }
  const auto fapl = reader_access();
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get()), H5Fclose);
  if (file.valid()) return file;
  const auto swmr_error = h5::take_error_text();
  file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (file.valid()) return file;
  const auto plain_error = h5::take_error_text();
  throw_unreadable(path, plain_error.empty() ? swmr_error : plain_error);
}

ResultsFileContents read_contents(const std::string& path) {
  const auto file = open_for_reading(path);
  h5::QuietErrors quiet;
  if (!h5::has_link(file.get(), "progress") || !h5::has_link(file.get(), "results") ||
      !h5::has_link(file.get(), "probes")) {
    const auto detail = h5::take_error_text();
    if (!detail.empty()) throw_unreadable(path, detail);
    throw InputError(path + ": not an infersweep sweep file (no /progress, /results or /probes)");
  }
  try {
    ResultsFileContents contents;
    contents.attributes = h5::read_attributes(file.get());
    Handle progress(check_id(H5Dopen2(file.get(), "progress", H5P_DEFAULT), "open /progress"), H5Dclose);
    // HDF5 converts no integer to an enum: a file whose state is a plain integer is read as one.
    Handle record(check_id(H5Dget_type(progress.get()), "type of /progress"), H5Tclose);
    const int state = H5Tget_member_index(record.get(), "state");
    const bool state_as_enum = state < 0 || H5Tget_member_class(record.get(), static_cast<unsigned>(state)) == H5T_ENUM;
    check(
        H5Dread(progress.get(), progress_type(state_as_enum).get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &contents.progress),
        "read /progress");
    if (h5::has_link(file.get(), "runs")) {
      const auto runs = h5::open_group(file.get(), "runs");
      for (const auto& name : h5::child_names(runs.get()))
        contents.runs.push_back(h5::read_attributes(h5::open_group(runs.get(), name).get()));
    }
    auto results = read_table(file.get(), "results", contents.progress.results_rows, path);
    auto probes = read_table(file.get(), "probes", contents.progress.probes_rows, path);
    contents.rows_checked = results.checked && probes.checked;
    for (auto* t : {&results, &probes})
      for (size_t i = 0; i < t->damaged.size(); ++i)
        contents.damaged.push_back({t == &results ? "results" : "probes", t->damaged[i], t->damaged_ids[i]});
    contents.results = std::move(results.table);
    contents.probes = std::move(probes.table);
    return contents;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    // Damage shows as a failed checksum or an address past the end; any other failure is a
    // file of another layout.
    if (mentions(e.what(), {"checksum", "truncated", "addr", "eoa", "eof", "signature", "unable to load"}))
      throw_unreadable(path, e.what());
    throw InputError(path + ": not an infersweep sweep file (" + e.what() + ")");
  }
}

}  // namespace

ResultsFileContents read_results_file(const std::string& path, const ReadLimits& limits) {
  // Each attempt reads in a child process first (isolated_run.hpp): HDF5 may crash or loop on
  // damaged metadata, and an error path of its own may leak. Only a file the child read whole
  // is read here. The time limit grows with the file, which a healthy read goes through at far
  // more than 20 MB/s.
  std::error_code size_error;
  const auto bytes = std::filesystem::file_size(path, size_error);
  const double limit_s = std::ceil(limits.child_time_s + (size_error ? 0 : static_cast<double>(bytes) / 20e6));
  const auto trial_read = [&] {
    try {
      read_contents(path);
    } catch (const StaleWritingMark& e) {
      throw TaggedError("stale", e.what());
    }
  };
  // A read that races the writer's flush can fail once; a damaged file fails every time, and
  // the retries end within about a second.
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    const auto trial = run_isolated(trial_read, limit_s);
    switch (trial.kind) {
      case IsolatedOutcome::Kind::completed:
        return read_contents(path);
      case IsolatedOutcome::Kind::crashed:
        throw_unreadable(path, "reading it crashed the HDF5 library: " + trial.detail);
      case IsolatedOutcome::Kind::timed_out:
        throw_unreadable(path, "reading it did not end within " + format_double(limit_s) + " s");
      case IsolatedOutcome::Kind::failed:
        if (attempt >= limits.attempts || !std::filesystem::exists(path)) {
          if (trial.tag == "stale") throw StaleWritingMark(trial.detail);
          throw InputError(trial.detail);
        }
        break;
    }
    std::this_thread::sleep_for(pause);
    pause *= 2;
  }
}

void clear_writing_mark(const std::string& path) {
  h5::QuietErrors quiet;
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // The property h5clear -s sets: the file-access list declares it, under this name.
  hbool_t clear = true;
  check(H5Pset(fapl.get(), "clear_status_flags", &clear), "clear the status flag of " + path);
  Handle file(check_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), "clear the status flag of " + path), H5Fclose);
  file.close("close " + path);
}

std::string describe_damaged_rows(const ResultsFileContents& contents) {
  if (contents.damaged.empty()) return {};
  std::map<std::string, std::vector<const DamagedRow*>> by_table;
  for (const auto& d : contents.damaged) by_table[d.table].push_back(&d);
  std::string text = std::to_string(contents.damaged.size()) + " damaged row" +
                     (contents.damaged.size() == 1 ? "" : "s") + " (checksum differs) left out:";
  constexpr size_t kNamed = 10;  // one line, however many
  for (const auto& [table, rows] : by_table) {
    text += " " + table + " " + std::to_string(rows.size()) + " (";
    for (size_t i = 0; i < std::min(rows.size(), kNamed); ++i)
      text += (i ? ", " : "") + std::string("row ") + std::to_string(rows[i]->row) + " config " +
              (rows[i]->config_id.empty() ? "?" : rows[i]->config_id);
    if (rows.size() > kNamed) text += ", ...";
    text += ");";
  }
  text.pop_back();
  return text;
}

namespace {

// A resume writes the whole file afresh beside the old one: without room for both, it would
// fail halfway (HDF5 then leaves the new file's id open, and the process crashes at exit).
void require_room_for_copy(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return;  // a first run: nothing to copy
  auto directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  struct statvfs fs = {};
  if (::statvfs(directory.c_str(), &fs) != 0) return;
  const auto free_bytes = static_cast<uintmax_t>(fs.f_bavail) * fs.f_frsize;
  constexpr uintmax_t kMargin = 1 << 20;  // the new run's first rows and HDF5's own metadata
  if (free_bytes < size + kMargin)
    throw InputError("cannot resume " + path + ": no space left on device for its copy (" + std::to_string(size) +
                     " bytes needed, " + std::to_string(free_bytes) + " free in " + directory.string() + ")");
}

// Holds the write lock on the file this writer created (writer_lock.hpp).
struct LockedFile {
  int fd = -1;
  LockedFile() = default;
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  ~LockedFile() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

struct ResultsFileWriter::Impl {
  std::string path;
  LockedFile lock;
  int64_t run = 0;
  Handle file, progress, record_type = progress_type();
  std::vector<Handle> results, probes;
  table::Schema results_schema, probes_schema;
  int64_t results_rows = 0, probes_rows = 0;

  void open_datasets(const std::string& table, const table::Schema& schema, std::vector<Handle>& datasets) {
    const auto group = h5::open_group(file.get(), table);
    datasets.clear();
    for (const auto& spec : stored_schema(schema))
      datasets.emplace_back(
          check_id(H5Dopen2(group.get(), spec.name.c_str(), H5P_DEFAULT), "open column " + table + "/" + spec.name),
          H5Dclose);
  }

  void write_progress(SweepProgress p) {
    p.results_rows = results_rows;
    p.probes_rows = probes_rows;
    check(H5Dwrite(progress.get(), record_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "write /progress");
    check(H5Dflush(progress.get()), "flush /progress");
  }

  void append_columns(std::vector<Handle>& datasets, const table::Schema& schema, const table::ColumnTable& rows,
                      int64_t first) {
    write_table_rows(datasets, schema, rows, static_cast<hsize_t>(first));
  }
};

ResultsFileWriter::ResultsFileWriter(const std::string& path, const table::ColumnTable& results,
                                     const table::ColumnTable& probes,
                                     const std::vector<std::vector<table::Field>>& earlier_runs,
                                     const std::vector<table::Field>& provenance, const SweepProgress& progress)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.path = path;
  m.run = progress.run;
  m.results_schema = results.schema();
  m.probes_schema = probes.schema();
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  require_room_for_copy(path);
  h5::QuietErrors quiet;
  try {
    {
      const auto fapl = file_access_latest();
      Handle file(check_id(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), "create " + temporary),
                  H5Fclose);
      h5::write_attribute(file.get(), {"schema_version", kSchemaVersion});
      h5::write_attribute(file.get(), {"format", std::string("infersweep sweep results; see docs/sweep.md")});
      for (const auto& f : provenance) h5::write_attribute(file.get(), f);
      const auto runs = h5::create_group(file.get(), "runs");
      for (size_t r = 0; r < earlier_runs.size(); ++r) {
        int64_t number = static_cast<int64_t>(r) + 1;
        for (const auto& f : earlier_runs[r])
          if (f.name == "run" && std::holds_alternative<int64_t>(f.value)) number = std::get<int64_t>(f.value);
        const auto group = h5::create_group(runs.get(), run_group_name(number));
        for (const auto& f : earlier_runs[r]) h5::write_attribute(group.get(), f);
      }
      const auto this_run = h5::create_group(runs.get(), run_group_name(m.run));
      for (const auto& f : provenance) h5::write_attribute(this_run.get(), f);
      create_table(file.get(), "results", results);
      create_table(file.get(), "probes", probes);
      const hsize_t one = 1;
      Handle space(H5Screate_simple(1, &one, nullptr), H5Sclose);
      Handle dataset(check_id(H5Dcreate2(file.get(), "progress", progress_type().get(), space.get(), H5P_DEFAULT,
                                         H5P_DEFAULT, H5P_DEFAULT),
                              "create /progress"),
                     H5Dclose);
      SweepProgress p = progress;
      p.results_rows = static_cast<int64_t>(results.rows());
      p.probes_rows = static_cast<int64_t>(probes.rows());
      check(H5Dwrite(dataset.get(), progress_type().get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "write /progress");
      dataset.close("close /progress");
      file.close("close " + temporary);
    }
    // In SWMR-write mode before it appears under its name, so a reader never finds it in the
    // plain mode, where it would lock the writer out.
    const auto fapl = file_access_latest();
    m.file = Handle(check_id(H5Fopen(temporary.c_str(), H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE, fapl.get()),
                             "open " + temporary + " for SWMR writing"),
                    H5Fclose);
    bool held_elsewhere = false;
    m.lock.fd = lock_for_writing(temporary, held_elsewhere);
    if (m.lock.fd < 0) throw std::runtime_error("cannot lock " + temporary + ": " + std::strerror(errno));
    std::filesystem::rename(temporary, path);
  } catch (const std::exception& e) {
    m.file = Handle();
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw InputError("cannot write " + path + ": " + e.what());
  }
  m.results_rows = static_cast<int64_t>(results.rows());
  m.probes_rows = static_cast<int64_t>(probes.rows());
  m.progress = Handle(check_id(H5Dopen2(m.file.get(), "progress", H5P_DEFAULT), "open /progress"), H5Dclose);
  m.open_datasets("results", m.results_schema, m.results);
  m.open_datasets("probes", m.probes_schema, m.probes);
}

ResultsFileWriter::~ResultsFileWriter() = default;

int64_t ResultsFileWriter::results_rows() const { return impl_->results_rows; }
int64_t ResultsFileWriter::probes_rows() const { return impl_->probes_rows; }

void ResultsFileWriter::append(const table::ColumnTable& results, const table::ColumnTable& probes,
                               SweepProgress progress) {
  auto& m = *impl_;
  h5::QuietErrors quiet;  // a failure becomes one line (with the system's reason), not HDF5's stack
  try {
    append_and_commit(results, probes, progress);
  } catch (const std::exception& e) {
    throw std::runtime_error(m.path + ": " + e.what());
  }
}

void ResultsFileWriter::append_and_commit(const table::ColumnTable& results, const table::ColumnTable& probes,
                                          SweepProgress progress) {
  auto& m = *impl_;
  m.append_columns(m.results, m.results_schema, results, m.results_rows);
  m.append_columns(m.probes, m.probes_schema, probes, m.probes_rows);
  // Every column reaches the file before the record that counts its rows.
  for (auto& d : m.results) check(H5Dflush(d.get()), "flush /results");
  for (auto& d : m.probes) check(H5Dflush(d.get()), "flush /probes");
  m.results_rows += static_cast<int64_t>(results.rows());
  m.probes_rows += static_cast<int64_t>(probes.rows());
  m.write_progress(progress);
}

void ResultsFileWriter::write_progress(SweepProgress progress) {
  h5::QuietErrors quiet;
  try {
    impl_->write_progress(progress);
  } catch (const std::exception& e) {
    throw std::runtime_error(impl_->path + ": " + e.what());
  }
}

void ResultsFileWriter::append_uncommitted_for_test(const table::ColumnTable& results) {
  auto& m = *impl_;
  m.append_columns(m.results, m.results_schema, results, m.results_rows);
  for (auto& d : m.results) check(H5Dflush(d.get()), "flush /results");
}

void ResultsFileWriter::close(const std::vector<table::Field>& end) {
  auto& m = *impl_;
  h5::QuietErrors quiet;
  m.results.clear();
  m.probes.clear();
  m.progress.close("close /progress");
  m.file.close("close " + m.path);
  Handle file(open_when_unlocked(m.path, H5F_ACC_RDWR, H5P_DEFAULT, "reopen " + m.path), H5Fclose);
  const auto run = h5::open_group(h5::open_group(file.get(), "runs").get(), run_group_name(m.run));
  for (const auto& f : end) {
    h5::write_attribute(file.get(), f);
    h5::write_attribute(run.get(), f);
  }
  file.close("close " + m.path);
}

}  // namespace infersweep::sweep
