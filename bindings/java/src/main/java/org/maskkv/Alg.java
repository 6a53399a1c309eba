package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** Dream's unmasking order (MASKKV_ALG_*). */
public enum Alg {
  ORIGIN(CapiConstants.MASKKV_ALG_ORIGIN),
  MASKGIT_PLUS(CapiConstants.MASKKV_ALG_MASKGIT_PLUS),
  TOPK_MARGIN(CapiConstants.MASKKV_ALG_TOPK_MARGIN),
  ENTROPY(CapiConstants.MASKKV_ALG_ENTROPY);

  private final int code;

  Alg(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Alg fromCode(int code) {
    for (Alg v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Alg with value " + code);
  }
}
