package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** The sampler (MASKKV_SAMPLER_*); AUTO is the model family's own. */
public enum Sampler {
  AUTO(CapiConstants.MASKKV_SAMPLER_AUTO),
  LLADA(CapiConstants.MASKKV_SAMPLER_LLADA),
  DREAM(CapiConstants.MASKKV_SAMPLER_DREAM);

  private final int code;

  Sampler(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Sampler fromCode(int code) {
    for (Sampler v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Sampler with value " + code);
  }
}
