// The structs behind the opaque handles of maskkv.h. Private to lib/api.
#pragma once

#include <atomic>
#include <memory>

#include "maskkv.h"
#include "tokenizer/tokenizer.h"

struct maskkv_tokenizer {
  std::shared_ptr<const maskkv::tok::Tokenizer> impl;
};
