# The PyTorch baseline of the GPU benchmark generates the same tokens as maskkv (pytest, CPU).
find_program(MASKKV_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME torch_baseline_pytest
  COMMAND ${MASKKV_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/bench)
set_tests_properties(torch_baseline_pytest PROPERTIES LABELS bench ENVIRONMENT
  "MASKKV_BIN=$<TARGET_FILE:maskkv_cli>;MASKKV_FIXTURES=${MASKKV_FIXTURES};OPENBLAS_NUM_THREADS=1")
