// The structs behind the opaque handles of maskkv.h. Private to lib/api.
#pragma once

#include <memory>

#include "engine/calibrator.h"
#include "engine/session.h"
#include "eviction/profile.h"
#include "maskkv.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

struct maskkv_tokenizer {
  std::shared_ptr<const maskkv::tok::Tokenizer> impl;
};

struct maskkv_model {
  std::shared_ptr<const maskkv::Model> impl;
  maskkv_tokenizer tokenizer;  // impl is null when the directory has no tokenizer
};

struct maskkv_session {
  std::unique_ptr<maskkv::Session> impl;
};

struct maskkv_profile {
  std::shared_ptr<const maskkv::Profile> impl;
};

struct maskkv_calibrator {
  std::unique_ptr<maskkv::Calibrator> impl;
};
