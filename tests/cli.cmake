# The `maskkv` command line and the C example, driven as scripts drive them (pytest).
find_program(MASKKV_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME cli_pytest
  COMMAND ${MASKKV_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/cli)
set_tests_properties(cli_pytest PROPERTIES ENVIRONMENT
  "MASKKV_BIN=$<TARGET_FILE:maskkv_cli>;MASKKV_EXAMPLE_C=$<TARGET_FILE:example_c_generate>;MASKKV_FIXTURES=${MASKKV_FIXTURES}")

# `ulimit -v` from 60 MB to 800 MB: every run ends, with OK or MASKKV_ERR_OUT_OF_MEMORY.
# Sanitizer builds reserve terabytes of shadow memory, so the limits mean nothing there.
if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
  add_test(NAME cli_memory_limits
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/memory_limits.sh $<TARGET_FILE:maskkv_cli>
            ${MASKKV_FIXTURES}/models/llada_f32)
  set_tests_properties(cli_memory_limits PROPERTIES TIMEOUT 300)
endif()
