# Tests of the packaging (packaging/), registered when MASKKV_PACKAGING is on:
#  - packaging_exports: libmaskkv.so exports exactly the maskkv_* functions of maskkv.h (nm -D);
#  - packaging_abi: abidiff against the baseline in packaging/abi/ (fails on an incompatible
#    change unless the SONAME was bumped); packaging_abi_selftest shows the checker's verdicts;
#  - packaging_install: CPack .debs unpacked into a temporary root, then the C example built
#    through pkg-config and find_package(maskkv), and the CLI, Python module and jar run;
#  - packaging_windows_dll: the mingw-w64 cross-build (maskkv.dll) run under wine.
get_property(maskkv_packaging_enabled GLOBAL PROPERTY MASKKV_PACKAGING_ENABLED)
if(MASKKV_PACKAGING AND NOT maskkv_packaging_enabled)
  message(FATAL_ERROR "tests/packaging.cmake: add_subdirectory(packaging) must come before add_subdirectory(tests) in CMakeLists.txt")
endif()
if(maskkv_packaging_enabled AND TARGET maskkv)
  set(pkg_dir ${PROJECT_SOURCE_DIR}/packaging)

  add_test(NAME packaging_exports
    COMMAND bash ${pkg_dir}/check-exports.sh $<TARGET_FILE:maskkv> ${PROJECT_SOURCE_DIR}/include/maskkv.h)
  set_tests_properties(packaging_exports PROPERTIES LABELS packaging TIMEOUT 60)

  file(GLOB maskkv_abi_baseline ${pkg_dir}/abi/*.abi)
  find_program(MASKKV_ABIDIFF abidiff)
  if(NOT MASKKV_ABIDIFF)
    add_test(NAME packaging_abi COMMAND sh -c "echo 'packaging_abi: abidiff not found (apt-get install abigail-tools)' >&2; exit 1")
  else()
    add_test(NAME packaging_abi
      COMMAND /usr/bin/python3 ${pkg_dir}/abi/check-abi.py $<TARGET_FILE:maskkv> ${maskkv_abi_baseline}
              ${PROJECT_SOURCE_DIR}/include/maskkv.h)
    add_test(NAME packaging_abi_selftest COMMAND bash ${pkg_dir}/abi/selftest.sh)
    set_tests_properties(packaging_abi_selftest PROPERTIES LABELS packaging TIMEOUT 120)
  endif()
  set_tests_properties(packaging_abi PROPERTIES LABELS packaging TIMEOUT 120)

  if(TARGET example_c_generate)
    add_test(NAME packaging_install
      COMMAND bash ${pkg_dir}/install-test.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
              $<TARGET_FILE:example_c_generate>)
    # cpack writes build/packages and build/_CPack_Packages: one at a time.
    set_tests_properties(packaging_install PROPERTIES LABELS packaging TIMEOUT 900 RESOURCE_LOCK cpack)
  endif()

  if(MASKKV_WINDOWS_DLL AND TARGET example_c_generate AND TARGET maskkv_cli)
    add_test(NAME packaging_windows_dll
      COMMAND bash ${pkg_dir}/mingw/run-test.sh ${PROJECT_SOURCE_DIR} ${MASKKV_MINGW_BUILD_DIR}
              ${MASKKV_MINGW_DEPS_DIR} $<TARGET_FILE:example_c_generate> $<TARGET_FILE:maskkv_cli>)
    # Cold (no cached dependencies, no ccache): 5 to 13 minutes on 2 shared cores; warm: about
    # 30 s. A high COST makes ctest -j start it first.
    set_tests_properties(packaging_windows_dll PROPERTIES LABELS "packaging;windows" TIMEOUT 2400
      COST 1000)
  endif()
endif()
