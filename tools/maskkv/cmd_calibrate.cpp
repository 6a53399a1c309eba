// maskkv calibrate --model DIR --data FILE --out profile.json: the offline MaskKV profile.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "commands.h"
#include "common.h"
#include "progress.h"
#include "text.h"

namespace {

const char* kUsage =
    "usage: maskkv calibrate --model DIR --data FILE --out PROFILE.json [--gen-length N] [--limit N]\n"
    "  FILE holds JSON lines: {\"prompt\": TEXT} or {\"prompt_ids\": [ids]} (or a bare JSON string)\n"
    "  --gen-length N   masks appended to each prompt, as at generation time (default 32)\n"
    "  --limit N        use at most N samples\n"
    "  --threads N --backend auto|cpu|cuda --weight-type auto|bf16|q8_0|q4_0\n";

std::vector<int32_t> sample_ids(const maskkv_model* model, const nlohmann::json& j, const std::string& where) {
  if (j.is_string()) return cli::tokenize_prompt(model, j.get<std::string>(), cli::ChatSpec{});
  if (j.is_object() && j.contains("prompt_ids") && j["prompt_ids"].is_array()) {
    std::vector<int32_t> ids;
    for (const auto& v : j["prompt_ids"]) {
      if (!v.is_number_integer()) throw cli::Failure(where + ": prompt_ids must hold integers");
      ids.push_back(v.get<int32_t>());
    }
    return ids;
  }
  if (j.is_object() && j.contains("prompt") && j["prompt"].is_string())
    return cli::tokenize_prompt(model, j["prompt"].get<std::string>(), cli::ChatSpec{});
  throw cli::Failure(where + ": expected a JSON string, {\"prompt\": ...} or {\"prompt_ids\": [...]}");
}

}  // namespace

int cmd_calibrate(int argc, char** argv) {
  return cli::run_command("calibrate", [&] {
    std::set<std::string> options = cli::model_option_names();
    options.insert({"data", "out", "gen-length", "limit"});
    std::optional<cli::Args> parsed = cli::parse_command(argc, argv, options, {}, kUsage, {"model", "data", "out"});
    if (!parsed) return 0;
    const cli::Args& args = *parsed;
    cli::ModelHandle m = cli::open_model(args);

    std::ifstream in(args.str("data"));
    if (!in) throw cli::Failure("cannot open --data " + args.str("data"));
    std::vector<std::vector<int32_t>> samples;
    std::string line;
    const int64_t limit = args.integer("limit", 1 << 30);
    for (int line_no = 1; std::getline(in, line) && static_cast<int64_t>(samples.size()) < limit; ++line_no) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = args.str("data") + ":" + std::to_string(line_no);
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) throw cli::Failure(where + ": not valid JSON");
      samples.push_back(sample_ids(m.model, j, where));
    }
    if (samples.empty()) throw cli::Failure(args.str("data") + " holds no calibration samples");

    struct Calibrator {
      maskkv_calibrator* c = nullptr;
      ~Calibrator() { maskkv_calibrator_free(c); }
    } cal;
    cli::check(maskkv_calibrator_begin(m.model, static_cast<int32_t>(args.integer("gen-length", 32)), &cal.c),
               "starting calibration");
    cli::ProgressBar bar("calibrating", static_cast<int>(samples.size()));
    for (size_t i = 0; i < samples.size(); ++i) {
      cli::check(maskkv_calibrator_add(cal.c, samples[i].data(), samples[i].size()),
                 ("calibration sample " + std::to_string(i + 1)).c_str());
      bar.update(static_cast<int>(i + 1));
    }
    bar.finish();
    cli::check(maskkv_calibrator_save(cal.c, args.str("out").c_str()), "writing the profile");
    std::fprintf(stderr, "wrote %s from %zu samples\n", args.str("out").c_str(), samples.size());
    return 0;
  });
}
