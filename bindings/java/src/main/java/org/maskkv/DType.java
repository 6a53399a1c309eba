package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** The dtype of the projection weights (MASKKV_DTYPE_*). */
public enum DType {
  F32(CapiConstants.MASKKV_DTYPE_F32),
  BF16(CapiConstants.MASKKV_DTYPE_BF16),
  F16(CapiConstants.MASKKV_DTYPE_F16),
  Q8_0(CapiConstants.MASKKV_DTYPE_Q8_0),
  Q4_0(CapiConstants.MASKKV_DTYPE_Q4_0);

  private final int code;

  DType(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static DType fromCode(int code) {
    for (DType v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no DType with value " + code);
  }
}
