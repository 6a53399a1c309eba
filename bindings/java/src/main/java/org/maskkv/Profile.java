package org.maskkv;

import java.nio.file.Path;
import org.maskkv.capi.Capi;

/**
 * A MaskKV calibration profile (written by {@link Calibrator#save}), bound to the model it was
 * measured on. Immutable; safe to share across threads.
 */
public final class Profile extends Handle {
  private Profile(NativeRef ref) {
    super(ref, "profile");
  }

  /** INVALID_ARGUMENT for a profile of another model, FORMAT for a corrupt file. */
  public static Profile load(Model model, Path path) {
    long[] out = new long[1];
    Maskkv.check(Capi.maskkv_profile_load(model.ptr(), path.toString(), out));
    return new Profile(new NativeRef(out[0], Capi::maskkv_profile_free, model.ref));
  }
}
