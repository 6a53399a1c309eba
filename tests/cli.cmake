# The `maskkv` command line and the C example, driven as scripts drive them (pytest).
find_program(MASKKV_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME cli_pytest
  COMMAND ${MASKKV_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/cli)
set_tests_properties(cli_pytest PROPERTIES ENVIRONMENT
  "MASKKV_BIN=$<TARGET_FILE:maskkv_cli>;MASKKV_EXAMPLE_C=$<TARGET_FILE:example_c_generate>;MASKKV_FIXTURES=${MASKKV_FIXTURES}")
