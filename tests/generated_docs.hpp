#pragma once
// Tables in docs/ that are generated from declarations sit between two marker lines. A test
// compares each with its declaration's rendering; with INFERSWEEP_UPDATE_DOCS=1 it rewrites
// them instead (after a declaration changed on purpose).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace infersweep::test_support {

inline std::string generated_begin_marker(const std::string& table, const std::string& generator) {
  return "<!-- generated from the declaration of " + table + " (" + generator +
         "; INFERSWEEP_UPDATE_DOCS=1 rewrites it) -->\n";
}

inline const char* generated_end_marker() { return "<!-- end of generated table -->\n"; }

// `docs_file` relative to the repository; `tables`: {name, expected text}.
inline void expect_generated_tables(const std::string& docs_file,
                                    const std::vector<std::pair<std::string, std::string>>& tables,
                                    const std::string& generator) {
  const std::string path = std::string(INFERSWEEP_TEST_DATA_DIR) + "/../" + docs_file;
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  auto docs = text.str();
  ASSERT_FALSE(docs.empty()) << path;
  const bool update = std::getenv("INFERSWEEP_UPDATE_DOCS") != nullptr;
  for (const auto& [table, expected] : tables) {
    const auto begin = generated_begin_marker(table, generator);
    const auto at = docs.find(begin);
    ASSERT_NE(at, std::string::npos) << docs_file << " lacks the line\n" << begin;
    const auto first = at + begin.size();
    const auto end = docs.find(generated_end_marker(), first);
    ASSERT_NE(end, std::string::npos) << docs_file << " lacks the line " << generated_end_marker() << " after "
                                      << table;
    if (update) {
      docs.replace(first, end - first, expected);
      continue;
    }
    EXPECT_EQ(docs.substr(first, end - first), expected)
        << docs_file << "'s table of " << table << " differs from the declaration; rerun with INFERSWEEP_UPDATE_DOCS=1";
  }
  if (update) std::ofstream(path) << docs;
}

}  // namespace infersweep::test_support
