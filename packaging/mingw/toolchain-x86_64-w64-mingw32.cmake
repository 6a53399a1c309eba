# CMake toolchain for cross-building maskkv for 64-bit Windows with Debian's mingw-w64 (the
# "posix" thread model, which std::thread needs). MASKKV_MINGW_DEPS names the prefix where
# packaging/mingw/build-deps.sh installed the cross-built dependencies.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(MASKKV_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MASKKV_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MASKKV_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${MASKKV_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${MASKKV_MINGW_TRIPLE}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${MASKKV_MINGW_TRIPLE}-gcc-ranlib-posix CACHE FILEPATH "")

# Pass MASKKV_MINGW_DEPS through to try_compile projects too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MASKKV_MINGW_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${MASKKV_MINGW_TRIPLE})
if(MASKKV_MINGW_DEPS)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${MASKKV_MINGW_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} "${MASKKV_MINGW_DEPS}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# GCC on Windows cannot align the stack to 32 bytes, so AVX spills must use unaligned moves
# (GCC bug 54412); binutils >= 2.38 rewrites them.
set(CMAKE_C_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
set(CMAKE_CXX_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
# A self-contained DLL: the GCC runtime, libstdc++ and winpthreads linked in statically.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
