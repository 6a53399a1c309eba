// load_tokenizer(): a tokenizer.json, a SentencePiece .model, or a model directory, plus
// tokenizer_config.json (BOS/EOS, chat template) when one sits beside it.
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"
#include "core/read_file.h"
#include "tokenizer/tokenizer.h"

namespace maskkv::tok {

void spm_set_add_special(Tokenizer& t, bool bos, bool eos);

namespace {

using json = nlohmann::json;

std::string read_file(const std::string& path) {
  return read_regular_file(path, kMaxTokenizerFileBytes, "a tokenizer file");
}

enum class PathKind { missing, file, directory, other };

PathKind path_kind(const std::string& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return PathKind::missing;
  if (S_ISDIR(st.st_mode)) return PathKind::directory;
  if (S_ISREG(st.st_mode)) return PathKind::file;
  return PathKind::other;
}

std::string dir_of(const std::string& file) {
  size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
}

std::string join(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// "<s>" or {"content": "<s>", ...} or null.
std::string token_string(const json& cfg, const char* key, const std::string& origin) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  fail(Code::format, origin + ": " + key + ": expected a string, {\"content\": ...} or null");
}

struct Config {
  bool present = false;
  std::string bos, eos, chat_template;
  std::string template_family;  // maskkv_chat_template: a family named outright
  bool add_bos = true, add_eos = false;
  bool has_add_bos = false;
};

Config read_config(const std::string& dir) {
  Config c;
  std::string path = join(dir, "tokenizer_config.json");
  if (path_kind(path) != PathKind::file) return c;
  std::string text = read_file(path);
  check_json_depth(text, path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error; out_of_range for a number past a double
    fail(Code::format, path + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) fail(Code::format, path + ": expected a JSON object");
  c.present = true;
  c.bos = token_string(j, "bos_token", path);
  c.eos = token_string(j, "eos_token", path);
  if (auto it = j.find("chat_template"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      c.chat_template = it->get<std::string>();
    } else if (it->is_array()) {
      // [{"name": "default", "template": "..."}, ...]
      for (const json& e : *it)
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template") &&
            e["template"].is_string())
          c.chat_template = e["template"].get<std::string>();
    } else {
      fail(Code::format, path + ": chat_template: expected a string or a list");
    }
  }
  // maskkv's own key (Hugging Face ignores it): the family to render, for a model whose
  // chat_template is absent or not one maskkv recognises.
  if (auto it = j.find("maskkv_chat_template"); it != j.end() && !it->is_null()) {
    const std::string v = it->is_string() ? it->get<std::string>() : "";
    if (v != "llada" && v != "chatml" && v != "llama3")
      fail(Code::format, path + ": maskkv_chat_template: expected \"llada\", \"chatml\" or \"llama3\"");
    c.template_family = v;
  }
  if (auto it = j.find("add_bos_token"); it != j.end() && it->is_boolean()) {
    c.add_bos = it->get<bool>();
    c.has_add_bos = true;
  }
  if (auto it = j.find("add_eos_token"); it != j.end() && it->is_boolean()) c.add_eos = it->get<bool>();
  return c;
}

void apply_config(Tokenizer& t, const Config& c) {
  std::string bos = c.bos, eos = c.eos;
  if (!c.present) {
    // A tokenizer without a config keeps what it knows itself (SentencePiece: its BOS/EOS).
    bos = t.bos_token();
    eos = t.eos_token();
  }
  int32_t bos_id = bos.empty() ? -1 : t.token_to_id(bos);
  int32_t eos_id = eos.empty() ? -1 : t.token_to_id(eos);
  std::string name = detect_chat_template(c.chat_template, bos);
  if (name.empty() && c.chat_template.empty()) {
    // No template in the config: recognise the families by their marker tokens.
    if (t.token_to_id("<|im_start|>") >= 0 && t.token_to_id("<|im_end|>") >= 0) name = "chatml";
    else if (t.token_to_id("<|start_header_id|>") >= 0 && t.token_to_id("<|eot_id|>") >= 0)
      name = t.token_to_id("<|startoftext|>") >= 0 ? "llada" : "llama3";
  }
  if (!c.template_family.empty()) name = c.template_family;
  t.set_config(bos_id, bos, eos_id, eos, name);
  spm_set_add_special(t, c.has_add_bos ? c.add_bos : true, c.add_eos);
}

// A slow GPT-2 / Qwen2 tokenizer directory (vocab.json + merges.txt, as Dream ships): build the
// tokenizer.json that transformers' converters would (Qwen2Converter / GPT2Converter).
std::shared_ptr<Tokenizer> load_vocab_merges(const std::string& dir) {
  const std::string vpath = join(dir, "vocab.json"), mpath = join(dir, "merges.txt");
  json vocab;
  const std::string vtext = read_file(vpath);
  check_json_depth(vtext, vpath);
  try {
    vocab = json::parse(vtext);
  } catch (const json::exception& e) {  // parse_error; out_of_range for a number past a double
    fail(Code::format, vpath + ": malformed JSON: " + e.what());
  }
  if (!vocab.is_object()) fail(Code::format, vpath + ": expected an object of token -> id");
  json merges = json::array();
  std::istringstream ms(read_file(mpath));
  size_t lineno = 0;
  for (std::string line; std::getline(ms, line);) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineno == 1 && line.rfind("#version", 0) == 0)) continue;
    if (line.find(' ') == std::string::npos)
      fail(Code::format, mpath + ": line " + std::to_string(lineno) + ": expected \"left right\"");
    merges.push_back(line);
  }
  std::string cls;
  json added = json::array();
  std::string cpath = join(dir, "tokenizer_config.json");
  if (path_kind(cpath) == PathKind::file) {
    json cfg;
    const std::string ctext = read_file(cpath);
    check_json_depth(ctext, cpath);
    try {
      cfg = json::parse(ctext);
    } catch (const json::exception& e) {  // parse_error; out_of_range for a number past a double
      fail(Code::format, cpath + ": malformed JSON: " + e.what());
    }
    cls = cfg.value("tokenizer_class", "");
    if (auto it = cfg.find("added_tokens_decoder"); it != cfg.end() && it->is_object()) {
      for (auto t = it->begin(); t != it->end(); ++t) {
        json a = t.value();
        if (!a.is_object() || !a.contains("content"))
          fail(Code::format, cpath + ": added_tokens_decoder." + t.key() + ": expected {content, ...}");
        try {
          a["id"] = std::stoll(t.key());
        } catch (const std::exception&) {
          fail(Code::format, cpath + ": added_tokens_decoder: '" + t.key() + "' is not an id");
        }
        added.push_back(a);
      }
    }
  }
  const bool qwen = cls.find("Qwen2") != std::string::npos || cls.find("Dream") != std::string::npos;
  json j;
  j["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  if (qwen) {
    j["normalizer"] = {{"type", "NFC"}};
    j["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         json::array({{{"type", "Split"},
                       {"pattern",
                        {{"Regex",
                          "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
                          "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
                       {"behavior", "Isolated"},
                       {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}};
  } else {
    j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  }
  j["decoder"] = {{"type", "ByteLevel"}};
  j["added_tokens"] = std::move(added);
  return load_hf_tokenizer_json(j.dump(), vpath);
}

std::shared_ptr<Tokenizer> load_file(const std::string& path) {
  std::string text = read_file(path);
  size_t k = 0;
  while (k < text.size() && (text[k] == ' ' || text[k] == '\n' || text[k] == '\r' || text[k] == '\t')) ++k;
  bool is_json = (k < text.size() && text[k] == '{') ||
                 (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0);
  if (is_json) return load_hf_tokenizer_json(text, path);
  return load_sentencepiece_model(path);
}

}  // namespace

void configure_tokenizer(Tokenizer& t, const std::string& bos, const std::string& eos,
                         const std::string& chat_template, bool add_bos, bool add_eos) {
  Config c;
  c.present = true;
  c.bos = bos;
  c.eos = eos;
  c.chat_template = chat_template;
  c.add_bos = add_bos;
  c.has_add_bos = true;
  c.add_eos = add_eos;
  apply_config(t, c);
}

std::string detect_chat_template(std::string_view tpl, std::string_view bos_token) {
  if (tpl.find("<|im_start|>") != std::string_view::npos) return "chatml";
  if (tpl.find("<|start_header_id|>") != std::string_view::npos) {
    if (bos_token == "<|startoftext|>" || tpl.find("<|startoftext|>") != std::string_view::npos)
      return "llada";
    return "llama3";
  }
  return "";
}

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path) {
  if (path.empty()) fail(Code::invalid_argument, "tokenizer path is empty");
  PathKind kind = path_kind(path);
  if (kind == PathKind::missing)
    fail(Code::io, path + ": no such file or directory (" + std::strerror(errno) + ")");
  std::shared_ptr<Tokenizer> t;
  std::string dir;
  if (kind == PathKind::directory) {
    dir = path;
    std::string hf = join(dir, "tokenizer.json"), spm = join(dir, "tokenizer.model");
    if (path_kind(hf) == PathKind::file) t = load_file(hf);
    else if (path_kind(spm) == PathKind::file) t = load_sentencepiece_model(spm);
    else if (path_kind(join(dir, "vocab.json")) == PathKind::file &&
             path_kind(join(dir, "merges.txt")) == PathKind::file)
      t = load_vocab_merges(dir);
    else
      fail(Code::not_found,
           path + ": the directory holds no tokenizer.json, tokenizer.model or vocab.json + merges.txt");
  } else if (kind == PathKind::file) {
    dir = dir_of(path);
    t = load_file(path);
  } else {
    fail(Code::io, path + ": not a regular file or directory");
  }
  apply_config(*t, read_config(dir));
  return t;
}

}  // namespace maskkv::tok
