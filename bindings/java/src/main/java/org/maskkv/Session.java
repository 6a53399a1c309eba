package org.maskkv;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.maskkv.capi.Capi;
import org.maskkv.capi.CapiConstants;
import org.maskkv.capi.maskkv_stats;

/**
 * One generation in progress. Iterate it to run the denoising steps; read tokens() and stats()
 * between steps. Used by one thread at a time, except {@link #cancel()}, which any thread may
 * call.
 *
 * <pre>{@code
 * try (Session s = model.stream(ids, options)) {
 *   for (Step step : s) System.out.println(step.index() + ": " + step.masksLeft() + " left");
 *   int[] response = s.tokens();
 * }
 * }</pre>
 */
public final class Session extends Handle implements Iterator<Step>, Iterable<Step> {
  private final Model model;
  private final int[] prompt;
  private boolean done;

  Session(NativeRef ref, Model model, int[] prompt) {
    super(ref, "session");
    this.model = model;
    this.prompt = prompt;
  }

  public boolean isDone() {
    return done;
  }

  /** Runs one step; true once every response position is committed. */
  public boolean step() {
    int[] d = new int[1];
    Maskkv.check(Capi.maskkv_session_step(ptr(), d));
    done = d[0] != 0;
    return done;
  }

  @Override
  public boolean hasNext() {
    return !done && !isClosed();
  }

  /** Runs one step and describes it; MaskkvException (CANCELLED, ...) on failure. */
  @Override
  public Step next() {
    if (!hasNext()) throw new NoSuchElementException("the generation is finished");
    step();
    Stats s = stats();
    return new Step(s.steps(), tokens(), s.lastCommitted(), s.masksLeft(), done, s);
  }

  @Override
  public Iterator<Step> iterator() {
    return this;
  }

  /** The current response (gen_length ids; masked positions hold the mask id). */
  public int[] tokens() {
    long p = ptr();
    long[] n = new long[1];
    int st = Capi.maskkv_session_tokens(p, null, n);
    if (st != CapiConstants.MASKKV_OK && st != CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
      throw Maskkv.error(st);
    }
    int[] out = new int[Math.toIntExact(n[0])];
    Maskkv.check(Capi.maskkv_session_tokens(p, out, n));
    return out;
  }

  public Stats stats() {
    maskkv_stats c = new maskkv_stats();
    try {
      Maskkv.check(Capi.maskkv_session_get_stats(ptr(), c));
      return Stats.of(c);
    } finally {
      c.delete();
    }
  }

  /** The response decoded by the model's tokenizer; empty without one. */
  public Optional<String> text() {
    return model.text(tokens());
  }

  /** Steps to the end and returns the result. */
  public Generation run() {
    while (hasNext()) step();
    int[] t = tokens();
    return new Generation(t, model.text(t), stats(), prompt.clone());
  }

  /**
   * Asks the session to stop: the current or next step throws MaskkvException CANCELLED. Safe
   * from any thread; does nothing once the session is closed.
   */
  public synchronized void cancel() {
    if (!isClosed()) Maskkv.check(Capi.maskkv_session_cancel(ref.ptr()));
  }
}
