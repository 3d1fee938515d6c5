#include "infersweep/sweep/results_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "hdf5_support.hpp"
#include "infersweep/common/error.hpp"

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

void write_rows(hid_t dataset, const table::ColumnSpec& spec, const table::ColumnTable::Column& column, hsize_t first,
                hsize_t count) {
  if (count == 0) return;
  const std::string what = "write column " + spec.name;
  const hsize_t total = first + count;
  check(H5Dset_extent(dataset, &total), what);
  Handle file_space(check_id(H5Dget_space(dataset), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  const auto type = h5::column_type(spec);
  const auto bytes = packed(spec, column);
  check(H5Dwrite(dataset, type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes.data()), what);
}

std::vector<Handle> create_table(hid_t file, const std::string& name, const table::ColumnTable& table) {
  const auto group = h5::create_group(file, name);
  std::vector<std::string> names;
  std::vector<Handle> datasets;
  for (size_t c = 0; c < table.schema().size(); ++c) {
    const auto& spec = table.schema()[c];
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
    write_rows(dataset.get(), spec, table.column(c), 0, table.rows());
    datasets.push_back(std::move(dataset));
  }
  h5::write_text_list_attribute(group.get(), "columns", names);
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

table::ColumnTable read_table(hid_t file, const std::string& name, int64_t rows, const std::string& path) {
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
  table::ColumnTable table(schema);
  const auto count = static_cast<hsize_t>(rows);
  for (size_t c = 0; c < schema.size(); ++c) {
    const auto& spec = schema[c];
    const std::string what = "read column " + name + "/" + spec.name;
    Handle file_space(check_id(H5Dget_space(datasets[c].get()), what), H5Sclose);
    hsize_t extent = 0;
    H5Sget_simple_extent_dims(file_space.get(), &extent, nullptr);
    if (extent < count)
      throw InputError(path + ": " + name + "/" + spec.name + " has " + std::to_string(extent) + " rows, " +
                       std::to_string(rows) + " are committed");
    if (count == 0) continue;
    const hsize_t first = 0;
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
    Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    const auto type = h5::column_type(spec);
    std::string bytes(count * element_size(spec), '\0');
    check(H5Dread(datasets[c].get(), type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, bytes.data()),
          what);
    std::visit(
        [&](auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          values.resize(count);
          if constexpr (std::is_same_v<T, std::string>) {
            for (size_t i = 0; i < count; ++i) {
              const char* p = bytes.data() + i * spec.text_width;
              values[i].assign(p, strnlen(p, spec.text_width));
            }
          } else {
            std::memcpy(values.data(), bytes.data(), bytes.size());
          }
        },
        table.column(c));
  }
  table.set_rows_from_columns();
  return table;
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

}  // namespace

ResultsFileContents read_results_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  h5::QuietErrors quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) throw InputError(path + ": not an HDF5 file this HDF5 library can open");
  if (!h5::has_link(file.get(), "progress") || !h5::has_link(file.get(), "results") ||
      !h5::has_link(file.get(), "probes"))
    throw InputError(path + ": not an infersweep sweep file (no /progress, /results or /probes)");
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
    contents.results = read_table(file.get(), "results", contents.progress.results_rows, path);
    contents.probes = read_table(file.get(), "probes", contents.progress.probes_rows, path);
    return contents;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path + ": " + e.what());
  }
}

struct ResultsFileWriter::Impl {
  std::string path;
  int64_t run = 0;
  Handle file, progress, record_type = progress_type();
  std::vector<Handle> results, probes;
  table::Schema results_schema, probes_schema;
  int64_t results_rows = 0, probes_rows = 0;

  void open_datasets(const std::string& table, const table::Schema& schema, std::vector<Handle>& datasets) {
    const auto group = h5::open_group(file.get(), table);
    datasets.clear();
    for (const auto& spec : schema)
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
    if (rows.schema().size() != schema.size()) throw std::logic_error("appended rows do not match the file's columns");
    for (size_t c = 0; c < schema.size(); ++c)
      write_rows(datasets[c].get(), schema[c], rows.column(c), static_cast<hsize_t>(first), rows.rows());
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
  m.append_columns(m.results, m.results_schema, results, m.results_rows);
  m.append_columns(m.probes, m.probes_schema, probes, m.probes_rows);
  // Every column reaches the file before the record that counts its rows.
  for (auto& d : m.results) check(H5Dflush(d.get()), "flush /results");
  for (auto& d : m.probes) check(H5Dflush(d.get()), "flush /probes");
  m.results_rows += static_cast<int64_t>(results.rows());
  m.probes_rows += static_cast<int64_t>(probes.rows());
  m.write_progress(progress);
}

void ResultsFileWriter::write_progress(SweepProgress progress) { impl_->write_progress(progress); }

void ResultsFileWriter::append_uncommitted_for_test(const table::ColumnTable& results) {
  auto& m = *impl_;
  m.append_columns(m.results, m.results_schema, results, m.results_rows);
  for (auto& d : m.results) check(H5Dflush(d.get()), "flush /results");
}

void ResultsFileWriter::close(const std::vector<table::Field>& end) {
  auto& m = *impl_;
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
