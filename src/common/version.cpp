#include "infersweep/common/version.hpp"

namespace infersweep {
const char* engine_version() { return INFERSWEEP_ENGINE_VERSION; }
}  // namespace infersweep
