#include "infersweep/spec/key_value_file.hpp"

#include <algorithm>
#include <sstream>

#include "infersweep/common/error.hpp"
#include "infersweep/common/text.hpp"
#include "infersweep/io/file_bytes.hpp"

namespace infersweep::spec {

KeyValueFile KeyValueFile::read(const std::string& path) { return parse(io::read_file_bytes(path), path); }

KeyValueFile KeyValueFile::parse(const std::string& text, const std::string& source_name) {
  KeyValueFile file;
  file.path_ = source_name;
  std::istringstream in(std::string(strip_utf8_bom(text)));
  std::string raw;
  int64_t line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const auto hash = raw.find('#');
    const auto content = trim(std::string_view(raw).substr(0, hash));
    if (content.empty()) continue;
    const auto eq = content.find('=');
    if (eq == std::string_view::npos)
      throw InputError::in_file(source_name, line, "", "expected 'key = value', got '" + std::string(content) + "'");
    const std::string key(trim(content.substr(0, eq)));
    const std::string value(trim(content.substr(eq + 1)));
    if (key.empty()) throw InputError::in_file(source_name, line, "", "missing key before '='");
    if (file.entries_.count(key))
      throw InputError::in_file(source_name, line, key,
                                "repeated key (first given on line " + std::to_string(file.entries_[key].line) + ")");
    file.entries_[key] = Entry{value, line};
  }
  return file;
}

const KeyValueFile::Entry& KeyValueFile::entry(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) throw InputError::in_file(path_, 0, key, "required key is missing");
  used_.insert(key);
  return it->second;
}

std::string KeyValueFile::where(const std::string& key, const Entry& e) const {
  return path_ + ":" + std::to_string(e.line) + ": " + key;
}

std::string KeyValueFile::text(const std::string& key) {
  const auto& e = entry(key);
  if (e.value.empty()) throw InputError(where(key, e) + ": expected a value, got nothing");
  return e.value;
}

std::string KeyValueFile::text_or(const std::string& key, const std::string& fallback) {
  return has(key) ? text(key) : fallback;
}

int64_t KeyValueFile::integer(const std::string& key) {
  const auto& e = entry(key);
  return parse_int64(e.value, where(key, e));
}

double KeyValueFile::number(const std::string& key) {
  const auto& e = entry(key);
  return parse_double(e.value, where(key, e));
}

bool KeyValueFile::boolean(const std::string& key) {
  const auto& e = entry(key);
  return parse_bool(e.value, where(key, e));
}

bool KeyValueFile::boolean_or(const std::string& key, bool fallback) { return has(key) ? boolean(key) : fallback; }

std::vector<KeyValueFile::Line> KeyValueFile::lines() const {
  std::vector<Line> out;
  for (const auto& [key, e] : entries_) out.push_back({key, e.value, e.line});
  std::sort(out.begin(), out.end(), [](const Line& a, const Line& b) { return a.line < b.line; });
  return out;
}

void KeyValueFile::reject_unused() const {
  for (const auto& [key, e] : entries_)
    if (!used_.count(key)) throw InputError::in_file(path_, e.line, key, "unknown key");
}

}  // namespace infersweep::spec
