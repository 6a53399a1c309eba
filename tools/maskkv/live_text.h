// A response shown while it is denoised: on a terminal the text is redrawn in place after each
// step, every position still masked drawn as '_', so the masks can be seen resolving.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "maskkv.h"

namespace cli {

class LiveText {
 public:
  // Draws on `out` when it is a terminal and `enabled`; otherwise draw() does nothing.
  LiveText(const maskkv_model* model, FILE* out, bool enabled);
  // Redraws the response (the session's current tokens).
  void draw(const std::vector<int32_t>& tokens);
  // Leaves the final text in place (or prints it when not drawing), then a newline.
  void finish(const std::string& final_text);
  bool drawing() const { return drawing_; }

 private:
  std::string render(const std::vector<int32_t>& tokens) const;

  const maskkv_model* model_;
  FILE* out_;
  bool drawing_;
  bool started_ = false;
  int32_t mask_id_ = -1;
};

}  // namespace cli
