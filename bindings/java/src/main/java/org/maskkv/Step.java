package org.maskkv;

/**
 * One denoising step of a Session: its 1-based index, the response so far (positions still
 * masked hold the mask id), the tokens this step committed, the masks left, whether the
 * generation is done, and the session's statistics after the step.
 */
public record Step(int index, int[] tokens, int committed, int masksLeft, boolean done,
    Stats stats) {}
