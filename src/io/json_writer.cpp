#include "infersweep/io/json_writer.hpp"

#include <cmath>
#include <cstdio>

#include "infersweep/common/text.hpp"

namespace infersweep::io {

std::string JsonWriter::escape(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void JsonWriter::prefix(const std::string& key) {
  if (!first_.empty()) {
    if (!first_.back()) out_ << ",";
    first_.back() = false;
    if (indent_ > 0) out_ << "\n" << std::string(first_.size() * static_cast<size_t>(indent_), ' ');
  }
  if (!key.empty()) out_ << escape(key) << (indent_ > 0 ? ": " : ":");
}

JsonWriter& JsonWriter::begin_object(const std::string& key) {
  prefix(key);
  out_ << "{";
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty && indent_ > 0) out_ << "\n" << std::string(first_.size() * static_cast<size_t>(indent_), ' ');
  out_ << "}";
  if (first_.empty()) out_ << "\n";
  return *this;
}

JsonWriter& JsonWriter::begin_array(const std::string& key) {
  prefix(key);
  out_ << "[";
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty && indent_ > 0) out_ << "\n" << std::string(first_.size() * static_cast<size_t>(indent_), ' ');
  out_ << "]";
  return *this;
}

JsonWriter& JsonWriter::value(const std::string& key, const std::string& v) {
  prefix(key);
  out_ << escape(v);
  return *this;
}

JsonWriter& JsonWriter::value(const std::string& key, double v) {
  prefix(key);
  if (std::isfinite(v))
    out_ << format_double(v);
  else
    out_ << "null";
  return *this;
}

JsonWriter& JsonWriter::value(const std::string& key, int64_t v) {
  prefix(key);
  out_ << v;
  return *this;
}

JsonWriter& JsonWriter::value(const std::string& key, bool v) {
  prefix(key);
  out_ << (v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null(const std::string& key) {
  prefix(key);
  out_ << "null";
  return *this;
}

}  // namespace infersweep::io
