package org.maskkv;

import java.util.Optional;

/**
 * The result of a generation: gen_length response ids, the text when the model has a tokenizer,
 * the statistics and the prompt ids.
 */
public record Generation(int[] tokens, Optional<String> text, Stats stats, int[] prompt) {}
