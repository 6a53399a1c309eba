package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** Prompt K/V policies (MASKKV_POLICY_*, docs/eviction.md). */
public enum Policy {
  NONE(CapiConstants.MASKKV_POLICY_NONE),
  FULL(CapiConstants.MASKKV_POLICY_FULL),
  MASKKV(CapiConstants.MASKKV_POLICY_MASKKV),
  SNAPKV(CapiConstants.MASKKV_POLICY_SNAPKV),
  PYRAMIDKV(CapiConstants.MASKKV_POLICY_PYRAMIDKV),
  SQUEEZEATTENTION(CapiConstants.MASKKV_POLICY_SQUEEZEATTENTION),
  ADAKV(CapiConstants.MASKKV_POLICY_ADAKV);

  private final int code;

  Policy(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value. */
  public static Policy fromCode(int code) {
    for (Policy v : values()) {
      if (v.code == code) return v;
    }
    throw new IllegalArgumentException("no Policy with value " + code);
  }
}
