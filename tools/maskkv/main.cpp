// maskkv: the command-line tool. A client of the C ABI only (include/maskkv.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "commands.h"
#include "maskkv.h"

namespace {

#if defined(__linux__)
// maskkv makes every BLAS call single-threaded inside its own thread pool, so OpenBLAS's worker
// threads are never used. Its pthread build starts them anyway when the library loads (before
// main), each allocating a 128 MiB buffer, and under a tight `ulimit -v` a worker that cannot
// get its buffer retries forever: the process spins and never exits, even `maskkv version`.
// OpenBLAS reads OPENBLAS_NUM_THREADS only when it loads, so the CLI sets it and runs itself
// again once (setting it in a constructor is too late, and libc resets the environment after
// .preinit_array runs).
void limit_openblas_threads(char** argv) {
  const char* v = std::getenv("OPENBLAS_NUM_THREADS");
  if (v && std::strcmp(v, "1") == 0) return;
  if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: carry on with OpenBLAS's threads
}
#endif

void usage(FILE* out) {
  std::fprintf(out,
               "maskkv %s - diffusion language model inference with MaskKV\n\n"
               "usage: maskkv <command> [options]\n\n"
               "commands:\n"
               "  generate    denoise a response for a prompt (maskkv generate --help)\n"
               "  chat        a conversation, one message per line (maskkv chat --help)\n"
               "  info        describe a model directory\n"
               "  calibrate   measure a MaskKV profile on calibration prompts\n"
               "  tokenize    text lines (or JSON strings) on stdin -> JSON id arrays on stdout\n"
               "  detokenize  JSON id arrays on stdin -> JSON strings on stdout\n"
               "  version     print the library version\n",
               maskkv_version());
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__linux__)
  limit_openblas_threads(argv);
#endif
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "generate") return cmd_generate(argc - 1, argv + 1);
  if (cmd == "chat") return cmd_chat(argc - 1, argv + 1);
  if (cmd == "info") return cmd_info(argc - 1, argv + 1);
  if (cmd == "calibrate") return cmd_calibrate(argc - 1, argv + 1);
  if (cmd == "tokenize") return cmd_tokenize(argc - 1, argv + 1);
  if (cmd == "detokenize") return cmd_detokenize(argc - 1, argv + 1);
  if (cmd == "version" || cmd == "--version") {
    std::printf("maskkv %s\n", maskkv_version());
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "maskkv: unknown command '%s'\nTry 'maskkv --help' for the commands.\n", cmd.c_str());
  return 2;
}
