package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** The compute backend (MASKKV_BACKEND_*). */
public enum Backend {
  AUTO(CapiConstants.MASKKV_BACKEND_AUTO),
  CPU(CapiConstants.MASKKV_BACKEND_CPU),
  CUDA(CapiConstants.MASKKV_BACKEND_CUDA);

  private final int code;

  Backend(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Backend fromCode(int code) {
    for (Backend v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Backend with value " + code);
  }
}
