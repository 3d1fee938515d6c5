#include "hdf5_support.hpp"

#include <cctype>
#include <cstring>
#include <regex>
#include <stdexcept>

namespace infersweep::sweep::h5 {

namespace {

// HDF5 1.10 leaks internal blocks after a metadata read fails its checksum, and then prints
// "infinite loop closing library" and its package list when it shuts down, after the error
// message of our own. The process frees everything as it ends anyway, and every file is
// closed explicitly (Handle), so the library's shutdown is not needed: neither at exit
// (H5dont_atexit, which must precede the first HDF5 call) nor at MPI_Finalize (a parallel
// build registers that shutdown when it starts after MPI_Init, so it starts before main).
// Hence a static object: library set-up, not state of ours.
struct NoShutdownAtExit {
  NoShutdownAtExit() {
    H5dont_atexit();
    H5open();
  }
} const no_shutdown_at_exit;

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = H5I_INVALID_HID;
}

void Handle::close(const std::string& what) {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  check(closer_(id), what);
}

namespace {

struct StackSummary {
  std::string innermost;
  int os_error = 0;  // the errno a file driver recorded, if any
};

herr_t summarise(unsigned, const H5E_error2_t* error, void* out) {
  auto* summary = static_cast<StackSummary*>(out);
  if (!error->desc) return 0;
  if (summary->innermost.empty()) summary->innermost = error->desc;
  // The file drivers put the system's error number in the text ("errno = 28, ..."), and the
  // innermost entry is often a generic "file write failed" above it.
  static const std::regex errno_text(R"(errno = (\d+))");
  std::cmatch m;
  if (summary->os_error == 0 && std::regex_search(error->desc, m, errno_text)) summary->os_error = std::stoi(m[1]);
  return 0;
}

std::string os_error_text(int code) {
  std::string text = std::strerror(code);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

std::string take_error_text() {
  StackSummary summary;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, summarise, &summary);
  H5Eclear2(H5E_DEFAULT);
  // Say what the system said: a full disk must read as one, not as "file write failed" (the
  // driver's own text, with times and addresses, is left out).
  std::string detail = summary.innermost;
  if (summary.innermost.find("errno = ") != std::string::npos)
    detail = os_error_text(summary.os_error);
  else if (summary.os_error != 0)
    detail = os_error_text(summary.os_error) + " (" + detail + ")";
  return detail;
}

void check(herr_t status, const std::string& what) {
  if (status >= 0) return;
  const auto detail = take_error_text();
  throw std::runtime_error(what + (detail.empty() ? std::string() : ": " + detail));
}

hid_t check_id(hid_t id, const std::string& what) {
  check(id < 0 ? -1 : 0, what);
  return id;
}

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }

Handle open_group(hid_t loc, const std::string& name) {
  return Handle(check_id(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "open group " + name), H5Gclose);
}

Handle create_group(hid_t loc, const std::string& name) {
  return Handle(check_id(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create group " + name),
                H5Gclose);
}

bool has_link(hid_t loc, const std::string& name) { return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0; }

namespace {

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

Handle text_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), "variable-length string type");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "UTF-8 string type");
  return t;
}

Handle scalar_space() { return Handle(H5Screate(H5S_SCALAR), H5Sclose); }

}  // namespace

std::vector<std::string> child_names(hid_t group) {
  std::vector<std::string> names;
  check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names), "list group");
  return names;
}

Handle bool_type() {
  Handle t(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
  const int8_t no = 0, yes = 1;
  check(H5Tenum_insert(t.get(), "FALSE", &no), "bool type");
  check(H5Tenum_insert(t.get(), "TRUE", &yes), "bool type");
  return t;
}

Handle column_type(const table::ColumnSpec& spec) {
  switch (spec.kind) {
    case table::ColumnKind::text: {
      Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
      check(H5Tset_size(t.get(), spec.text_width), "string type of " + spec.name);
      check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "string type of " + spec.name);
      check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "string type of " + spec.name);
      return t;
    }
    case table::ColumnKind::int64:
      return Handle(H5Tcopy(H5T_NATIVE_INT64), H5Tclose);
    case table::ColumnKind::float64:
      return Handle(H5Tcopy(H5T_NATIVE_DOUBLE), H5Tclose);
    case table::ColumnKind::boolean:
      return bool_type();
    case table::ColumnKind::enumeration: {
      Handle t(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
      for (size_t code = 0; code < spec.labels.size(); ++code) {
        const auto value = static_cast<int8_t>(code);
        check(H5Tenum_insert(t.get(), spec.labels[code].c_str(), &value), "enum type of " + spec.name);
      }
      return t;
    }
  }
  throw std::logic_error("unknown column kind");
}

void write_attribute(hid_t loc, const table::Field& field) {
  const std::string what = "write attribute " + field.name;
  if (H5Aexists(loc, field.name.c_str()) > 0) check(H5Adelete(loc, field.name.c_str()), what);
  const auto space = scalar_space();
  Handle type;
  const void* data = nullptr;
  const char* text = nullptr;
  int8_t flag = 0;
  if (auto* s = std::get_if<std::string>(&field.value)) {
    type = text_type();
    text = s->c_str();
    data = &text;
  } else if (auto* e = std::get_if<table::EnumValue>(&field.value)) {
    type = text_type();  // an attribute carries no enumeration type: its name
    text = e->name.c_str();
    data = &text;
  } else if (auto* i = std::get_if<int64_t>(&field.value)) {
    type = Handle(H5Tcopy(H5T_NATIVE_INT64), H5Tclose);
    data = i;
  } else if (auto* d = std::get_if<double>(&field.value)) {
    type = Handle(H5Tcopy(H5T_NATIVE_DOUBLE), H5Tclose);
    data = d;
  } else {
    type = bool_type();
    flag = std::get<bool>(field.value) ? 1 : 0;
    data = &flag;
  }
  Handle attr(check_id(H5Acreate2(loc, field.name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), what),
              H5Aclose);
  check(H5Awrite(attr.get(), type.get(), data), what);
}

void write_text_list_attribute(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  const std::string what = "write attribute " + name;
  if (H5Aexists(loc, name.c_str()) > 0) check(H5Adelete(loc, name.c_str()), what);
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  const auto type = text_type();
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  Handle attr(check_id(H5Acreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), what),
              H5Aclose);
  check(H5Awrite(attr.get(), type.get(), pointers.data()), what);
}

namespace {

std::string read_text_attribute(hid_t attr, hid_t file_type) {
  if (H5Tis_variable_str(file_type) > 0) {
    const auto type = text_type();
    char* value = nullptr;
    check(H5Aread(attr, type.get(), &value), "read text attribute");
    std::string s = value ? value : "";
    H5free_memory(value);
    return s;
  }
  std::string s(H5Tget_size(file_type), '\0');
  Handle type(H5Tcopy(file_type), H5Tclose);
  check(H5Aread(attr, type.get(), s.data()), "read text attribute");
  return s.substr(0, s.find('\0'));
}

herr_t collect_attribute(hid_t loc, const char* name, const H5A_info_t*, void* out) {
  auto* fields = static_cast<std::vector<table::Field>*>(out);
  Handle attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return -1;
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) return 0;  // lists are read by name
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  table::Field f;
  f.name = name;
  switch (H5Tget_class(type.get())) {
    case H5T_STRING:
      f.value = read_text_attribute(attr.get(), type.get());
      break;
    case H5T_INTEGER: {
      int64_t v = 0;
      if (H5Aread(attr.get(), H5T_NATIVE_INT64, &v) < 0) return -1;
      f.value = v;
      break;
    }
    case H5T_FLOAT: {
      double v = 0;
      if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v) < 0) return -1;
      f.value = v;
      break;
    }
    case H5T_ENUM: {
      int8_t v = 0;
      const auto mem = bool_type();
      if (H5Aread(attr.get(), mem.get(), &v) < 0) return -1;
      f.value = v != 0;
      break;
    }
    default:
      return 0;
  }
  fields->push_back(std::move(f));
  return 0;
}

}  // namespace

std::vector<table::Field> read_attributes(hid_t loc) {
  std::vector<table::Field> fields;
  hsize_t position = 0;
  check(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &position, collect_attribute, &fields), "read attributes");
  return fields;
}

std::vector<std::string> enum_labels(hid_t type) {
  const int members = H5Tget_nmembers(type);
  check(members, "enum members");
  std::vector<std::string> labels(static_cast<size_t>(members));
  for (int m = 0; m < members; ++m) {
    int64_t value = 0;
    check(H5Tget_member_value(type, static_cast<unsigned>(m), &value) < 0 ? -1 : 0, "enum member");
    Handle native(H5Tget_super(type), H5Tclose);
    check(H5Tconvert(native.get(), H5T_NATIVE_INT64, 1, &value, nullptr, H5P_DEFAULT), "enum member value");
    if (value < 0 || value >= members)
      throw std::runtime_error("enum values are not 0 to " + std::to_string(members - 1));
    char* name = H5Tget_member_name(type, static_cast<unsigned>(m));
    labels[static_cast<size_t>(value)] = name ? name : "";
    H5free_memory(name);
  }
  return labels;
}

std::vector<std::string> read_text_list_attribute(hid_t loc, const std::string& name) {
  const std::string what = "read attribute " + name;
  Handle attr(check_id(H5Aopen(loc, name.c_str(), H5P_DEFAULT), what), H5Aclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const auto n = static_cast<size_t>(H5Sget_simple_extent_npoints(space.get()));
  std::vector<char*> pointers(n, nullptr);
  const auto type = text_type();
  check(H5Aread(attr.get(), type.get(), pointers.data()), what);
  std::vector<std::string> values;
  for (char* p : pointers) {
    values.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return values;
}

}  // namespace infersweep::sweep::h5
