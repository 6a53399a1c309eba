#include "live_text.h"

#include <unistd.h>

#include "common.h"
#include "text.h"

namespace cli {

LiveText::LiveText(const maskkv_model* model, FILE* out, bool enabled)
    : model_(model), out_(out), drawing_(enabled && isatty(fileno(out)) == 1) {
  maskkv_model_info info;
  info.size = sizeof(info);
  check(maskkv_model_get_info(model, &info), "reading model info");
  mask_id_ = info.mask_id;
}

std::string LiveText::render(const std::vector<int32_t>& tokens) const {
  // Runs of committed tokens are decoded together (a character may span tokens).
  std::string shown, piece;
  std::vector<int32_t> run;
  auto flush = [&] {
    if (!run.empty() && detokenize(model_, run, &piece)) shown += piece;
    run.clear();
  };
  for (int32_t t : tokens) {
    if (t == mask_id_) {
      flush();
      shown += '_';
    } else {
      run.push_back(t);
    }
  }
  flush();
  return shown;
}

void LiveText::draw(const std::vector<int32_t>& tokens) {
  if (!drawing_) return;
  // Save the cursor where the response starts, then restore it and clear below for each frame.
  std::fputs(started_ ? "\0338\033[J" : "\0337", out_);
  started_ = true;
  std::fputs(render(tokens).c_str(), out_);
  std::fflush(out_);
}

void LiveText::finish(const std::string& final_text) {
  if (drawing_ && started_) std::fputs("\0338\033[J", out_);
  std::fputs(final_text.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace cli
