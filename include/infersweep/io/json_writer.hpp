#pragma once
// A minimal streaming JSON writer: objects, arrays, strings, integers, and doubles written in
// shortest round-trip form (non-finite doubles become null).
#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace infersweep::io {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out, int indent = 2) : out_(out), indent_(indent) {}

  JsonWriter& begin_object(const std::string& key = "");
  JsonWriter& end_object();
  JsonWriter& begin_array(const std::string& key = "");
  JsonWriter& end_array();
  JsonWriter& value(const std::string& key, const std::string& v);
  JsonWriter& value(const std::string& key, const char* v) { return value(key, std::string(v)); }
  JsonWriter& value(const std::string& key, double v);
  JsonWriter& value(const std::string& key, int64_t v);
  JsonWriter& value(const std::string& key, int v) { return value(key, static_cast<int64_t>(v)); }
  JsonWriter& value(const std::string& key, bool v);
  JsonWriter& null(const std::string& key);
  // A value held in a variant of the types above (a result field's value).
  template <typename... Types>
  JsonWriter& value(const std::string& key, const std::variant<Types...>& v) {
    std::visit([&](const auto& held) { value(key, held); }, v);
    return *this;
  }

  static std::string escape(const std::string& text);

 private:
  void prefix(const std::string& key);

  std::ostream& out_;
  int indent_;
  std::vector<bool> first_;  // per open container: nothing written yet
};

}  // namespace infersweep::io
