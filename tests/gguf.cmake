# GGUF files of the demo models, written by tools/fixtures/convert_to_gguf.py as llama.cpp's
# converter would, checked against the same models loaded from safetensors (same tokenizer
# ids, same logits and tokens for F32/BF16; agreement of the quantized types measured), and a
# `maskkv generate` run on one of them.
find_program(MASKKV_GGUF_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(MASKKV_GGUF_DIR ${CMAKE_BINARY_DIR}/gguf_demo)
add_test(NAME gguf_convert_demo
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          bash ${CMAKE_CURRENT_SOURCE_DIR}/gguf/convert_demo.sh ${MASKKV_GGUF_PYTHON3} ${PROJECT_SOURCE_DIR} ${MASKKV_GGUF_DIR})
set_tests_properties(gguf_convert_demo PROPERTIES FIXTURES_SETUP gguf_demo TIMEOUT 300)

file(GLOB MASKKV_GGUF_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gguf/*.cpp)
add_executable(maskkv_gguf_tests ${MASKKV_GGUF_TESTS})
target_link_libraries(maskkv_gguf_tests PRIVATE maskkv_engine GTest::gtest_main)
target_compile_definitions(maskkv_gguf_tests PRIVATE MASKKV_GGUF_DIR="${MASKKV_GGUF_DIR}"
  MASKKV_MODELS="${PROJECT_SOURCE_DIR}/models" MASKKV_FIXTURES="${MASKKV_FIXTURES}")
gtest_discover_tests(maskkv_gguf_tests DISCOVERY_TIMEOUT 60
  PROPERTIES FIXTURES_REQUIRED gguf_demo TIMEOUT 600)

add_test(NAME gguf_cli_generate
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/gguf/cli_generate.sh $<TARGET_FILE:maskkv_cli>
          ${PROJECT_SOURCE_DIR}/models ${MASKKV_GGUF_DIR})
set_tests_properties(gguf_cli_generate PROPERTIES FIXTURES_REQUIRED gguf_demo TIMEOUT 300)
