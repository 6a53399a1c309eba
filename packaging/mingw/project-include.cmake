# CMAKE_PROJECT_INCLUDE of the Windows cross-build (runs right after project()): name the DLL
# maskkv.dll with the import library maskkv.dll.a (found by -lmaskkv), rather than MinGW's
# default lib prefix, and ask the linker for a .def file (from which build-dll.sh makes an
# MSVC-style maskkv.lib).
set(CMAKE_SHARED_LIBRARY_PREFIX "")
set(CMAKE_IMPORT_LIBRARY_PREFIX "")
