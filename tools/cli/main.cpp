// maskkv: the command-line tool. A client of the C ABI only (include/maskkv.h).
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"
#include "maskkv.h"

namespace {

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
