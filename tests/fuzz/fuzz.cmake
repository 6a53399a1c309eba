# libFuzzer executables, one per target (clang; configured by tools/sanitize.sh with
# -DMASKKV_FUZZ=ON and -fsanitize=address,undefined,fuzzer-no-link on everything). Run them
# with tests/fuzz/run_fuzzers.sh. Included by tests/reliability.cmake.
add_custom_target(maskkv_fuzzers)
foreach(t ${MASKKV_FUZZ_ENGINE_TARGETS} ${MASKKV_FUZZ_ABI_TARGETS})
  add_executable(fuzz_${t} ${MASKKV_FUZZ_DIR}/fuzz_${t}.cpp ${MASKKV_FUZZ_DIR}/fuzz_support.cpp)
  target_compile_definitions(fuzz_${t} PRIVATE MASKKV_LIBFUZZER ${MASKKV_FUZZ_DEFS})
  target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  if(t IN_LIST MASKKV_FUZZ_ABI_TARGETS)
    target_link_libraries(fuzz_${t} PRIVATE maskkv)
    target_include_directories(fuzz_${t} PRIVATE ${PROJECT_SOURCE_DIR}/lib)
  else()
    target_link_libraries(fuzz_${t} PRIVATE maskkv_engine)
  endif()
  add_dependencies(maskkv_fuzzers fuzz_${t})
endforeach()
