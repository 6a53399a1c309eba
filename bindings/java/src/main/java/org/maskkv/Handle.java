package org.maskkv;

import java.lang.ref.Cleaner;

/** The base of the AutoCloseable wrappers: one NativeRef, released once. */
abstract class Handle implements AutoCloseable {
  final NativeRef ref;
  private final Cleaner.Cleanable cleanable;
  private volatile boolean closed;
  private final String what;

  Handle(NativeRef ref, String what) {
    this.ref = ref;
    this.what = what;
    this.cleanable = NativeRef.CLEANER.register(this, ref);
  }

  /** The C pointer; throws if closed. */
  long ptr() {
    if (closed) throw Maskkv.closed(what);
    return ref.ptr();
  }

  boolean isClosed() {
    return closed;
  }

  /** Frees the C handle (after anything that depends on it). Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      cleanable.clean();
    }
  }
}
