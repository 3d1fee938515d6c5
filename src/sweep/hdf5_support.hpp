#pragma once
// A thin RAII layer over the HDF5 C API for the sweep file: handles that close themselves,
// errors that become exceptions naming the file and the step, typed attributes and the
// column types the file uses. The HDF5 library is not thread-safe: only one thread per
// process may call into this layer (rank 0's main thread).
#include <hdf5.h>

#include <string>
#include <vector>

#include "infersweep/table/column_table.hpp"

namespace infersweep::sweep::h5 {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Closes now and reports a failure (a close may be the moment data reaches the file).
  void close(const std::string& what);

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Throws std::runtime_error("<what>: <HDF5's innermost message>") when `status` is negative;
// where a file driver recorded the system's error (a full disk), its text instead.
void check(herr_t status, const std::string& what);
// The same message for the error stack as it stands, which it then clears.
std::string take_error_text();
hid_t check_id(hid_t id, const std::string& what);

// Silences HDF5's own error printing for the life of the object (errors become exceptions).
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
};

Handle open_group(hid_t loc, const std::string& name);
Handle create_group(hid_t loc, const std::string& name);
bool has_link(hid_t loc, const std::string& name);
std::vector<std::string> child_names(hid_t group);  // in name order

// Scalar attributes: text (variable-length UTF-8), int64, double or bool (as int64 0/1 is not
// used: bools are written as the enum type h5py reads as numpy bool); an enumeration value is
// written as its name.
void write_attribute(hid_t loc, const table::Field& field);
void write_text_list_attribute(hid_t loc, const std::string& name, const std::vector<std::string>& values);
std::vector<table::Field> read_attributes(hid_t loc);
std::vector<std::string> read_text_list_attribute(hid_t loc, const std::string& name);

// Types of column elements in the file and in memory.
Handle column_type(const table::ColumnSpec& spec);
Handle bool_type();
// The names of an enum type's members, indexed by value (which must run from 0).
std::vector<std::string> enum_labels(hid_t type);

}  // namespace infersweep::sweep::h5
