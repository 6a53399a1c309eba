package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** What loading does with the linear weights (MASKKV_WEIGHT_TYPE_*; docs/quantization.md). */
public enum WeightType {
  AUTO(CapiConstants.MASKKV_WEIGHT_TYPE_AUTO),
  BF16(CapiConstants.MASKKV_WEIGHT_TYPE_BF16),
  Q8_0(CapiConstants.MASKKV_WEIGHT_TYPE_Q8_0),
  Q4_0(CapiConstants.MASKKV_WEIGHT_TYPE_Q4_0);

  private final int code;

  WeightType(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static WeightType fromCode(int code) {
    for (WeightType v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no WeightType with value " + code);
  }
}
