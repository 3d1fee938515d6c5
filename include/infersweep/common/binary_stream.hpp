#pragma once
// Little helpers to write and read a flat binary record (cache files): fixed-width integers,
// doubles and length-prefixed strings and vectors, in the host's byte order. Reading past the
// end throws, so a truncated file is detected rather than misread.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace infersweep {

class BinaryWriter {
 public:
  void u64(uint64_t v) { raw(&v, sizeof v); }
  void i64(int64_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void f64s(const std::vector<double>& v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(double));
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void raw(const void* p, size_t n) { bytes_.append(static_cast<const char*>(p), n); }
  std::string bytes_;
};

class BinaryReader {
 public:
  explicit BinaryReader(const std::string& bytes) : bytes_(bytes) {}
  uint64_t u64() { return pod<uint64_t>(); }
  int64_t i64() { return pod<int64_t>(); }
  double f64() { return pod<double>(); }
  std::string str() {
    const auto n = size(1);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::vector<double> f64s() {
    const auto n = size(sizeof(double));
    std::vector<double> v(n);
    if (n) std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(double));
    pos_ += n * sizeof(double);
    return v;
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  template <class T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  size_t size(size_t element) {
    const auto n = u64();
    if (n > (bytes_.size() - pos_) / element) throw std::runtime_error("truncated record");
    return static_cast<size_t>(n);
  }
  void need(size_t n) const {
    if (bytes_.size() - pos_ < n) throw std::runtime_error("truncated record");
  }
  const std::string& bytes_;
  size_t pos_ = 0;
};

}  // namespace infersweep
