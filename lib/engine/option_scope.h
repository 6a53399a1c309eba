// Which options act under which sampler and cache policy. An option set away from its default
// where it would have no effect is refused, so that a caller never believes an option changed
// a generation when it did not.
#pragma once

#include "engine/generate_options.h"

namespace maskkv {

// Throws Error(unsupported) naming the first option that would be ignored by the resolved
// sampler and policy (options.sampler must be resolved: llada or dream).
void refuse_inert_options(const GenerateOptions& resolved);

}  // namespace maskkv
