# docs/options.md is generated from the option table through the C ABI; the test fails when it
# is stale, and the target maskkv_options_doc regenerates it.
add_executable(maskkv_options_doc_tool ${CMAKE_CURRENT_SOURCE_DIR}/options/options_doc.cpp)
target_link_libraries(maskkv_options_doc_tool PRIVATE maskkv)
add_test(NAME options_doc_current
  COMMAND maskkv_options_doc_tool --check ${PROJECT_SOURCE_DIR}/docs/options.md)
add_custom_target(maskkv_options_doc
  COMMAND maskkv_options_doc_tool --write ${PROJECT_SOURCE_DIR}/docs/options.md
  COMMENT "docs/options.md from the option table")
