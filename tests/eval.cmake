# The long-context quality suite at CI size (tools/eval/run_eval.py --quick): every policy on each
# demo model, asserting that the harness runs end to end and that the full-cache accuracy stays
# above a floor (each model's measured quick-run accuracy less about one sample's worth: the run
# is seeded and greedy, so it is deterministic); plus pytest checks of the task generator, the
# trainer, the demo models' parity with the PyTorch reference and the demo tokenizer.
find_program(MASKKV_EVAL_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME eval_quick
  COMMAND ${MASKKV_EVAL_PYTHON3} ${PROJECT_SOURCE_DIR}/tools/eval/run_eval.py --quick --floor 0.4
          --bin $<TARGET_FILE:maskkv_cli> --model ${PROJECT_SOURCE_DIR}/models/demo
          --out ${CMAKE_BINARY_DIR}/eval_quick)
set_tests_properties(eval_quick PROPERTIES TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
add_test(NAME eval_quick_dream
  COMMAND ${MASKKV_EVAL_PYTHON3} ${PROJECT_SOURCE_DIR}/tools/eval/run_eval.py --quick --floor 0.25
          --bin $<TARGET_FILE:maskkv_cli> --model ${PROJECT_SOURCE_DIR}/models/demo-dream
          --out ${CMAKE_BINARY_DIR}/eval_quick_dream)
set_tests_properties(eval_quick_dream PROPERTIES TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
add_test(NAME eval_tasks_pytest
  COMMAND ${MASKKV_EVAL_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/eval)
set_tests_properties(eval_tasks_pytest PROPERTIES TIMEOUT 900
  ENVIRONMENT "MASKKV_BIN=$<TARGET_FILE:maskkv_cli>;OPENBLAS_NUM_THREADS=1")
