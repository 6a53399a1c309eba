package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** LLaDA remasking (MASKKV_REMASK_*). */
public enum Remasking {
  LOW_CONFIDENCE(CapiConstants.MASKKV_REMASK_LOW_CONFIDENCE),
  RANDOM(CapiConstants.MASKKV_REMASK_RANDOM);

  private final int code;

  Remasking(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Remasking fromCode(int code) {
    for (Remasking v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Remasking with value " + code);
  }
}
