# Private build flags of every kpi target: the warning set of DEVELOPERS.md,
# optionally as errors, and the sanitizers of the `asan` preset.
add_library(kpi_build_flags INTERFACE)
target_compile_options(kpi_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow
  $<$<BOOL:${KPI_WARNINGS_AS_ERRORS}>:-Werror>)
if(KPI_SANITIZE)
  target_compile_options(kpi_build_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(kpi_build_flags INTERFACE -fsanitize=address,undefined)
endif()
# libFuzzer: every kpi object gets coverage instrumentation (fuzzer-no-link) and
# ASan+UBSan, so a finding anywhere in the core is caught; only the fuzz targets
# link the fuzzer runtime (tests/fuzz/CMakeLists.txt).
if(KPI_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "KPI_BUILD_FUZZERS needs clang (libFuzzer): use the 'fuzz' preset")
  endif()
  target_compile_options(kpi_build_flags INTERFACE
    -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(kpi_build_flags INTERFACE -fsanitize=address,undefined)
endif()
install(TARGETS kpi_build_flags EXPORT kpiTargets)
