# Tokenizer throughput benchmark (included by bench/CMakeLists.txt). Run the comparison table
# with: bench/tokenizer/run.sh BUILD_DIR [MB]
add_executable(bench_tokenizer ${PROJECT_SOURCE_DIR}/bench/tokenizer/bench_tokenizer.cpp)
if(TARGET maskkv_tokenizer)
  target_link_libraries(bench_tokenizer PRIVATE maskkv_tokenizer nlohmann_json::nlohmann_json)
else()
  target_link_libraries(bench_tokenizer PRIVATE maskkv_engine)
endif()
target_compile_options(bench_tokenizer PRIVATE -O3)
