package org.maskkv;

import org.maskkv.capi.Capi;

/**
 * A failed maskkv call: the C ABI's status and the library's message for it (which names the
 * file, field or value at fault).
 */
public class MaskkvException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Status status;
  private final int code;

  public MaskkvException(int code, String message) {
    super(message + " [" + Capi.maskkv_status_name(code) + "]");
    this.code = code;
    this.status = Status.fromCode(code);
  }

  /** The status as an enum constant. */
  public Status status() {
    return status;
  }

  /** The raw maskkv_status value. */
  public int code() {
    return code;
  }

  /** "MASKKV_ERR_..." */
  public String statusName() {
    return Capi.maskkv_status_name(code);
  }
}
