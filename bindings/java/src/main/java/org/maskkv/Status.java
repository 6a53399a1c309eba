package org.maskkv;

import org.maskkv.capi.CapiConstants;

/** The maskkv_status codes of include/maskkv.h. */
public enum Status {
  OK(CapiConstants.MASKKV_OK),
  INVALID_ARGUMENT(CapiConstants.MASKKV_ERR_INVALID_ARGUMENT),
  IO(CapiConstants.MASKKV_ERR_IO),
  FORMAT(CapiConstants.MASKKV_ERR_FORMAT),
  UNSUPPORTED(CapiConstants.MASKKV_ERR_UNSUPPORTED),
  OUT_OF_RANGE(CapiConstants.MASKKV_ERR_OUT_OF_RANGE),
  OUT_OF_MEMORY(CapiConstants.MASKKV_ERR_OUT_OF_MEMORY),
  BUFFER_TOO_SMALL(CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL),
  CANCELLED(CapiConstants.MASKKV_ERR_CANCELLED),
  NOT_FOUND(CapiConstants.MASKKV_ERR_NOT_FOUND),
  INTERNAL(CapiConstants.MASKKV_ERR_INTERNAL);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /** The C value. */
  public int code() {
    return code;
  }

  /** The constant for a C value; INTERNAL for a value this binding does not know. */
  public static Status fromCode(int code) {
    for (Status s : values()) {
      if (s.code == code) return s;
    }
    return INTERNAL;
  }
}
