// Subcommands of the `maskkv` command-line tool. Each takes argv with argv[0] = its own name and
// returns the process exit code: 0 success, 1 failure (message on stderr), 2 usage error.
#pragma once

int cmd_generate(int argc, char** argv);
int cmd_chat(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_calibrate(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
