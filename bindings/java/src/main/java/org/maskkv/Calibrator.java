package org.maskkv;

import java.nio.file.Path;
import org.maskkv.capi.Capi;

/**
 * Measures a MaskKV profile: add prompts (each runs one prefill of prompt + genLength masks),
 * then save. Used by one thread at a time.
 */
public final class Calibrator extends Handle {
  private final Model model;

  public Calibrator(Model model, int genLength) {
    super(begin(model, genLength), "calibrator");
    this.model = model;
  }

  private static NativeRef begin(Model model, int genLength) {
    long[] out = new long[1];
    Maskkv.check(Capi.maskkv_calibrator_begin(model.ptr(), genLength, out));
    return new NativeRef(out[0], Capi::maskkv_calibrator_free, model.ref);
  }

  public Calibrator add(int[] promptIds) {
    Maskkv.check(Capi.maskkv_calibrator_add(ptr(), promptIds));
    return this;
  }

  /** A text prompt through the model's tokenizer. */
  public Calibrator add(String prompt) {
    return add(model.encodePrompt(prompt, false));
  }

  public void save(Path path) {
    Maskkv.check(Capi.maskkv_calibrator_save(ptr(), path.toString()));
  }
}
