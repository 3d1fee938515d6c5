# The reader of Vidur's reference runs (vidur_reference.hpp), a library of its own because the
# differential test and bench_vidur_replay both replay those runs, and the benchmarks are built
# without the tests (INFERSWEEP_BUILD_TESTS=OFF). Included from tests/ and bench/.
include_guard(GLOBAL)
add_library(infersweep_vidur_reference STATIC ${CMAKE_CURRENT_LIST_DIR}/vidur_reference.cpp)
# Included as "parity/vidur_reference.hpp".
target_include_directories(infersweep_vidur_reference PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(infersweep_vidur_reference PUBLIC infersweep_core)
target_compile_definitions(infersweep_vidur_reference
                           PRIVATE INFERSWEEP_VIDUR_REFERENCE_DIR="${INFERSWEEP_VIDUR_REFERENCE}")
