// Introspection of maskkv_generate_options through the C ABI: the option table, row by row.
#include <cstring>

#include "api/guard.h"
#include "api/option_layout.h"

using namespace maskkv;

extern "C" {

MASKKV_API size_t maskkv_generate_option_count(void) { return kGenerateOptionCount; }

MASKKV_API maskkv_status maskkv_generate_option_info(size_t index, maskkv_option_info* info) {
  return api::guard([&] {
    api::require_arg(info, "info");
    if (info->size < sizeof(uint32_t) + sizeof(int32_t))
      fail(Code::invalid_argument, "maskkv_option_info.size = " + std::to_string(info->size) +
                                       " is too small; set it to sizeof(maskkv_option_info)");
    if (index >= kGenerateOptionCount)
      fail(Code::out_of_range, "option index " + std::to_string(index) + " is past the last of the " +
                                   std::to_string(kGenerateOptionCount) + " generation options");
    const OptionSpec& s = kGenerateOptionSpecs[index];
    maskkv_option_info out{};
    out.size = sizeof(out);
    out.type = static_cast<int32_t>(s.kind);
    out.name = s.name;
    out.choices = s.choices;
    out.help = s.help;
    out.default_value = s.default_value;
    out.min_value = s.min;
    out.max_value = s.max;
    out.offset = api::kGenerateOptionFields[index].offset;
    // An older caller's smaller struct gets the fields it knows (whole fields only).
    uint32_t keep = info->size < sizeof(out) ? info->size : static_cast<uint32_t>(sizeof(out));
    if (keep > sizeof(uint64_t)) keep = keep / sizeof(uint64_t) * sizeof(uint64_t);
    std::memcpy(info, &out, keep);
    info->size = keep;
  });
}

}  // extern "C"
