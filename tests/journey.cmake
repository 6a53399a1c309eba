# The new user's journey (tests/journey/new_user.sh): packages through lintian, dpkg install into
# a private root, the CLI, C via pkg-config and find_package, Python, Rust and Java as README.md
# shows them, then a purge that must leave nothing behind.
get_property(maskkv_packaging_enabled GLOBAL PROPERTY MASKKV_PACKAGING_ENABLED)
if(maskkv_packaging_enabled AND TARGET maskkv_cli AND TARGET maskkv)
  get_property(maskkv_rust_enabled GLOBAL PROPERTY MASKKV_RUST_ENABLED)
  set(journey_cargo "")
  set(journey_env "")
  if(maskkv_rust_enabled)
    set(journey_cargo ${MASKKV_CARGO})
    set(journey_env "CARGO_HOME=${MASKKV_CARGO_DIR}/cargo-home;CARGO_TARGET_DIR=${MASKKV_CARGO_DIR}/target;RUSTUP_HOME=${MASKKV_RUSTUP_HOME}")
  endif()
  add_test(NAME new_user_journey
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/journey/new_user.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
            ${journey_cargo})
  # cpack stages into the build directory, and cargo's target directory is shared.
  set_tests_properties(new_user_journey PROPERTIES ENVIRONMENT "${journey_env}" LABELS "packaging;journey"
    TIMEOUT 900 RESOURCE_LOCK "cpack;cargo_target")
endif()
