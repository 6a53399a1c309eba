# The layout the project promises: kernels/ is a leaf that includes nothing from lib/.
find_program(MASKKV_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME kernels_include_nothing_from_lib
  COMMAND ${MASKKV_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/layout/check_kernels_leaf.py ${PROJECT_SOURCE_DIR})
add_test(NAME kernels_leaf_check_self_test
  COMMAND ${MASKKV_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/layout/check_kernels_leaf.py --self-test)
if(MASKKV_CUDA)
  # Every kernel compiled for every element type with only kernels/ on the include path (a
  # build-time check: this target is part of the default build).
  add_library(maskkv_kernels_standalone OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/layout/kernels_standalone.cu)
  target_include_directories(maskkv_kernels_standalone PRIVATE ${PROJECT_SOURCE_DIR}/kernels)
  target_compile_options(maskkv_kernels_standalone PRIVATE --expt-relaxed-constexpr)
endif()
