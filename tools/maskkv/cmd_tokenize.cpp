// `maskkv tokenize` and `maskkv detokenize`, through the C ABI.
//   maskkv tokenize (--model DIR | --tokenizer FILE) [--add-special] [--json-lines]
//     stdin: one text per line (with --json-lines: one JSON string per line, for texts that hold
//     newlines); stdout: one JSON array of ids per line.
//   maskkv detokenize (--model DIR | --tokenizer FILE) [--skip-special]
//     stdin: one JSON array of ids per line; stdout: one JSON string per line.
// Errors: a message on stderr and exit status 1; usage errors exit 2.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "command.h"
#include "maskkv.h"

namespace {

using json = nlohmann::json;

// What both commands read from their arguments.
struct Input {
  std::string path;        // --model DIR or --tokenizer FILE
  bool flag = false;       // --add-special / --skip-special
  bool json_lines = false;
};

// Parses the arguments of `cmd` (through the shared command parser): exactly one of --model and
// --tokenizer, the command's switch, and --json-lines where json_flag says it has one. Returns
// nothing after --help.
std::optional<Input> parse(int argc, char** argv, const char* cmd, const char* flag, bool json_flag,
                           const char* flags_help) {
  std::set<std::string> flags{flag};
  if (json_flag) flags.insert("json-lines");
  const std::string usage =
      std::string("usage: maskkv ") + cmd + " (--model DIR | --tokenizer FILE) " + flags_help + "\n";
  std::optional<cli::Args> args = cli::parse_command(argc, argv, {"model", "tokenizer"}, flags, usage, {});
  if (!args) return std::nullopt;
  if (args->has("model") == args->has("tokenizer"))
    throw cli::UsageError("give one of --model DIR and --tokenizer FILE");
  Input in;
  in.path = args->str(args->has("model") ? "model" : "tokenizer");
  in.flag = args->has(flag);
  in.json_lines = json_flag && args->has("json-lines");
  return in;
}

int error(const char* cmd, const std::string& what) {
  std::fprintf(stderr, "maskkv %s: %s\n", cmd, what.c_str());
  return 1;
}

int api_error(const char* cmd, maskkv_status st, const std::string& where) {
  return error(cmd, where + std::string(maskkv_status_name(st)) + ": " + maskkv_last_error());
}
// The JSON-lines loop both commands share: loads the tokenizer, then for each non-empty stdin
// line (a trailing CR stripped) calls convert(tok, line, where, out), which returns -1 after
// filling `out` (one output line, newline included) or an exit status that stops the loop.
template <class Convert>
int run_lines(const char* cmd, const Input& a, Convert&& convert) {
  maskkv_tokenizer* tok = nullptr;
  if (maskkv_status st = maskkv_tokenizer_load(a.path.c_str(), &tok); st != MASKKV_OK)
    return api_error(cmd, st, "");
  std::string line, out;
  size_t lineno = 0;
  int rc = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    out.clear();
    const std::string where = "line " + std::to_string(lineno) + ": ";
    if (int status = convert(tok, line, where, out); status >= 0) {
      rc = status;
      break;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  maskkv_tokenizer_free(tok);
  std::fflush(stdout);
  return rc;
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  const char* cmd = "tokenize";
  return cli::run_command(cmd, [&] {
    const std::optional<Input> parsed =
        parse(argc, argv, cmd, "add-special", true,
              "[--add-special] [--json-lines]\n"
              "  stdin: one text per line (--json-lines: one JSON string per line); stdout: one\n"
              "  JSON array of ids per line. --add-special adds the tokenizer's BOS/EOS.");
    if (!parsed) return 0;
    const Input& a = *parsed;
    std::vector<int32_t> ids(256);
    return run_lines(cmd, a, [&](maskkv_tokenizer* tok, const std::string& line, const std::string& where,
                                 std::string& out) {
      std::string text = line;
      if (a.json_lines) {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_string())
          return error(cmd, where + "not a JSON string (with --json-lines each line is one, e.g. \"Hello\\nworld\")");
        text = j.get<std::string>();
      }
      size_t n = 0;
      maskkv_status st = maskkv_tokenize(tok, text.data(), text.size(), a.flag, ids.data(), ids.size(), &n);
      if (st == MASKKV_ERR_BUFFER_TOO_SMALL) {
        ids.resize(n);
        st = maskkv_tokenize(tok, text.data(), text.size(), a.flag, ids.data(), ids.size(), &n);
      }
      if (st != MASKKV_OK) return api_error(cmd, st, where);
      out = "[";
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        out += std::to_string(ids[i]);
      }
      out += "]\n";
      return -1;
    });
  });
}

int cmd_detokenize(int argc, char** argv) {
  const char* cmd = "detokenize";
  return cli::run_command(cmd, [&] {
    const std::optional<Input> parsed =
        parse(argc, argv, cmd, "skip-special", false,
              "[--skip-special]\n"
              "  stdin: one JSON array of ids per line, e.g. [1,2,3]; stdout: one JSON string per line.");
    if (!parsed) return 0;
    const Input& a = *parsed;
    std::string buf(1024, '\0');
    return run_lines(cmd, a, [&](maskkv_tokenizer* tok, const std::string& line, const std::string& where,
                                 std::string& out) {
      std::vector<int32_t> ids;
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_array()) return error(cmd, where + "expected a JSON array of ids, e.g. [1,2,3]");
      for (const json& x : j) {
        if (!x.is_number_integer()) return error(cmd, where + "expected integer ids, got " + x.dump());
        long long v = x.get<long long>();
        if (v < INT32_MIN || v > INT32_MAX)
          return error(cmd, where + "id " + std::to_string(v) + " does not fit in 32 bits");
        ids.push_back(static_cast<int32_t>(v));
      }
      size_t n = 0;
      maskkv_status st = maskkv_detokenize(tok, ids.data(), ids.size(), a.flag, buf.data(), buf.size(), &n);
      if (st == MASKKV_ERR_BUFFER_TOO_SMALL) {
        buf.resize(n);
        st = maskkv_detokenize(tok, ids.data(), ids.size(), a.flag, buf.data(), buf.size(), &n);
      }
      if (st != MASKKV_OK) return api_error(cmd, st, where);
      out = json(std::string(buf.data(), n)).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      return -1;
    });
  });
}
