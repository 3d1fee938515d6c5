#include "infersweep/common/error.hpp"

namespace infersweep {

InputError InputError::in_file(const std::string& file, int64_t line, const std::string& field,
                               const std::string& message) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  if (!field.empty()) where += ": " + field;
  return InputError(where + ": " + message);
}

InputError InputError::option(const std::string& name, const std::string& message) {
  return InputError("option --" + name + ": " + message);
}

}  // namespace infersweep
