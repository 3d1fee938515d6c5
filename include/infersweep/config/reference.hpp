#pragma once
// A group's settings as a Markdown table (docs/settings.md is made of these; a test keeps it
// in step with the declarations).
#include <string>

#include "infersweep/config/setting.hpp"

namespace infersweep::config {

// "config id, predictor", "predictor", "per probe" or "none".
std::string describe_identity(const Identity& identity);
// One row: | option | key | default | accepted values | identity | what it is |; with
// `grid_key`, the key column is the one a grid section takes.
std::string markdown_row(const SettingSpec& spec, const std::string& default_text, bool grid_key);
std::string markdown_header(bool grid_key);

template <class S>
std::string markdown_reference(const SettingGroup<S>& group, const S& defaults, bool grid_key = false) {
  std::string out = markdown_header(grid_key);
  for (const auto& s : group.settings())
    out += markdown_row(s.spec(), s.spec().display_default(s.text(defaults)), grid_key);
  return out;
}

}  // namespace infersweep::config
