// Where each row of the option table (options/generate_option_table.h) lives in the C struct
// maskkv_generate_options, checked at compile time against the struct itself: the table lists
// every field, in order, each with the C type its kind promises (maskkv.h, MASKKV_OPTION_*).
#pragma once

#include <cstddef>
#include <cstdint>

#include "maskkv.h"
#include "options/generate_option_table.h"

namespace maskkv::api {

struct OptionField {
  size_t offset, size, align;
};

inline constexpr OptionField kGenerateOptionFields[] = {
#define MASKKV_OPTION_FIELD(name, kind, def, lo, hi, member, choices, help)              \
  {offsetof(maskkv_generate_options, name), sizeof(maskkv_generate_options::name), \
   alignof(decltype(maskkv_generate_options::name))},
    MASKKV_GENERATE_OPTIONS(MASKKV_OPTION_FIELD)
#undef MASKKV_OPTION_FIELD
};

namespace layout_check {

template <class T>
constexpr bool holds(OptionKind kind) {
  switch (kind) {
    case OptionKind::integer:
    case OptionKind::flag:
    case OptionKind::choice: return std::is_same_v<T, int32_t>;
    case OptionKind::real: return std::is_same_v<T, float>;
    case OptionKind::unsigned64: return std::is_same_v<T, uint64_t>;
    case OptionKind::profile: return std::is_same_v<T, const maskkv_profile*>;
  }
  return false;
}

constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// Each field starts where the one before it ends (after alignment padding), the first after
// `size`, and the last ends the struct: no field is missing from the table or out of order.
constexpr bool fields_tile_the_struct() {
  size_t end = sizeof(uint32_t);
  for (const OptionField& f : kGenerateOptionFields) {
    if (align_up(end, f.align) != f.offset) return false;
    end = f.offset + f.size;
  }
  return align_up(end, alignof(maskkv_generate_options)) == sizeof(maskkv_generate_options);
}

static_assert(sizeof(kGenerateOptionFields) / sizeof(kGenerateOptionFields[0]) == kGenerateOptionCount);
static_assert(fields_tile_the_struct(),
              "the option table must list every field of maskkv_generate_options, in order");
#define MASKKV_OPTION_TYPE_CHECK(name, kind, def, lo, hi, member, choices, help)                       \
  static_assert(holds<decltype(maskkv_generate_options::name)>(OptionKind::kind),                     \
                "maskkv_generate_options." #name " does not have the C type of its kind");
MASKKV_GENERATE_OPTIONS(MASKKV_OPTION_TYPE_CHECK)
#undef MASKKV_OPTION_TYPE_CHECK
static_assert(MASKKV_OPTION_INT == int(OptionKind::integer) && MASKKV_OPTION_UINT64 == int(OptionKind::unsigned64) &&
              MASKKV_OPTION_FLOAT == int(OptionKind::real) && MASKKV_OPTION_BOOL == int(OptionKind::flag) &&
              MASKKV_OPTION_CHOICE == int(OptionKind::choice) && MASKKV_OPTION_PROFILE == int(OptionKind::profile));

}  // namespace layout_check

}  // namespace maskkv::api
