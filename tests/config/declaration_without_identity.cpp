// Compiled by two tests: with WITH_IDENTITY it must compile; without, it must not, because a
// setting cannot be declared without saying what it identifies.
#include <cstdint>

#include "infersweep/config/setting.hpp"

struct Example {
  int64_t value = 1;
};

int main() {
  infersweep::config::SettingGroup<Example> group("Example");
#ifdef WITH_IDENTITY
  group.add(&Example::value, "value", infersweep::config::Identity::config(), "a value");
#else
  group.add(&Example::value, "value", "a value");
#endif
  return static_cast<int>(group.settings().size()) - 1;
}
