package org.maskkv;

import org.maskkv.capi.Capi;
import org.maskkv.capi.CapiConstants;

/** Library-wide functions of maskkv, and the status check every class here uses. */
public final class Maskkv {
  private Maskkv() {}

  /** "MAJOR.MINOR.PATCH" of the libmaskkv actually loaded. */
  public static String version() {
    return Capi.maskkv_version();
  }

  /** MASKKV_VERSION_NUMBER of the libmaskkv actually loaded. */
  public static long versionNumber() {
    return Capi.maskkv_version_number();
  }

  /** A short constant name for a status, e.g. "MASKKV_ERR_FORMAT". */
  public static String statusName(Status status) {
    return Capi.maskkv_status_name(status.code());
  }

  /** The C name of a policy: "none", "full", "maskkv", ... */
  public static String policyName(Policy policy) {
    return Capi.maskkv_policy_name(policy.code());
  }

  /** The policy a C name stands for; MaskkvException (INVALID_ARGUMENT) for an unknown name. */
  public static Policy policyFromName(String name) {
    int[] out = new int[1];
    check(Capi.maskkv_policy_from_name(name, out));
    return Policy.fromCode(out[0]);
  }

  /** Throws MaskkvException for a status other than OK, with this thread's last error. */
  static void check(int status) {
    if (status != CapiConstants.MASKKV_OK) throw error(status);
  }

  static MaskkvException error(int status) {
    // maskkv_last_error() is per thread, and the failing call ran on this one.
    return new MaskkvException(status, Capi.maskkv_last_error());
  }

  static MaskkvException closed(String what) {
    return new MaskkvException(CapiConstants.MASKKV_ERR_INVALID_ARGUMENT,
        "this " + what + " has been closed");
  }
}
