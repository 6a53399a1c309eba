package org.maskkv;

import org.maskkv.capi.maskkv_stats;

/** maskkv_stats: progress and cost of a generation. */
public record Stats(
    int steps,
    int forwardPasses,
    int masksLeft,
    int lastCommitted,
    double seconds,
    long peakRssBytes,
    long kvPairsKept,
    long kvBytesPeak,
    double prefillSeconds,
    long gpuPeakBytes) {

  static Stats of(maskkv_stats s) {
    return new Stats(s.getSteps(), s.getForward_passes(), s.getMasks_left(),
        s.getLast_committed(), s.getSeconds(), s.getPeak_rss_bytes(), s.getKv_pairs_kept(),
        s.getKv_bytes_peak(), s.getPrefill_seconds(), s.getGpu_peak_bytes());
  }
}
