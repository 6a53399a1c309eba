package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** The model family (MASKKV_FAMILY_*). */
public enum Family {
  LLADA(CapiConstants.MASKKV_FAMILY_LLADA),
  DREAM(CapiConstants.MASKKV_FAMILY_DREAM);

  private final int code;

  Family(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Family fromCode(int code) {
    for (Family v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Family with value " + code);
  }
}
