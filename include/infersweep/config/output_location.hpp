#pragma once
// Every place a command writes is checked before the command does any work, so that hours of
// searching are never lost to an output directory that turns out to be a file or unwritable.
// The check writes and removes a probe file: permission bits alone do not tell (root ignores
// them; a read-only mount does not).
#include <string>

#include "infersweep/config/setting.hpp"

namespace infersweep::config {

// Throws InputError::setting(name) saying what is wrong and why (the system's reason).
// An output directory is created if it is missing; an output file's folder must exist.
// Empty paths mean "not written" and pass.
void check_output_location(const std::string& name, PathUse use, const std::string& path);

// Checks every setting of `group` declared as an output location, with its value in `values`.
template <class S>
void check_output_locations(const SettingGroup<S>& group, const S& values) {
  for (const auto& s : group.settings())
    if (s.spec().path_use != PathUse::input) check_output_location(s.name(), s.spec().path_use, s.text(values));
}

}  // namespace infersweep::config
