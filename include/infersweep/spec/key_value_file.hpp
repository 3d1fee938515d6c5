#pragma once
// The hand-editable spec format under data/: one `key = value` per line, `#` starts a comment.
// Every key must be read exactly once, so a misspelt key is an error rather than ignored.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace infersweep::spec {

class KeyValueFile {
 public:
  static KeyValueFile read(const std::string& path);
  static KeyValueFile parse(const std::string& text, const std::string& source_name);

  const std::string& path() const { return path_; }
  bool has(const std::string& key) const { return entries_.count(key) > 0; }

  std::string text(const std::string& key);
  std::string text_or(const std::string& key, const std::string& fallback);
  int64_t integer(const std::string& key);
  double number(const std::string& key);
  bool boolean(const std::string& key);
  bool boolean_or(const std::string& key, bool fallback);

  // Keys in file order with their values and line numbers (for option files).
  struct Line {
    std::string key, value;
    int64_t line;
  };
  std::vector<Line> lines() const;

  // Throws InputError naming the first key that no accessor asked for.
  void reject_unused() const;

 private:
  struct Entry {
    std::string value;
    int64_t line;
  };
  const Entry& entry(const std::string& key);
  std::string where(const std::string& key, const Entry& e) const;

  std::string path_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> used_;
};

}  // namespace infersweep::spec
