# Layering: lib/engine decides what to compute and keep; only the model's forward pass and the
# cache call Backend operations.
find_program(MASKKV_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME layering_engine_calls_no_backend_ops
  COMMAND ${MASKKV_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_engine_calls.py
          ${PROJECT_SOURCE_DIR}/lib/backend/backend.h ${PROJECT_SOURCE_DIR}/lib/engine)
add_test(NAME layering_engine_calls_selftest
  COMMAND ${MASKKV_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/layering/selftest.py
          ${PROJECT_SOURCE_DIR}/lib/backend/backend.h)
