package org.maskkv;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * One C handle and its free function, reference counted so that a handle is freed only after
 * every handle that depends on it (a session on its model) has been freed. The owning Java
 * object holds one reference, released by close() or, if the object is dropped unclosed, by the
 * Cleaner.
 */
final class NativeRef implements Runnable {
  static final Cleaner CLEANER = Cleaner.create();

  private final long ptr;
  private final LongConsumer free;
  private final NativeRef[] parents;
  private final AtomicInteger refs = new AtomicInteger(1);

  NativeRef(long ptr, LongConsumer free, NativeRef... parents) {
    this.ptr = ptr;
    this.free = free;
    this.parents = parents;
    for (NativeRef p : parents) {
      if (p != null) p.retain();
    }
  }

  long ptr() {
    return ptr;
  }

  void retain() {
    refs.incrementAndGet();
  }

  void release() {
    if (refs.decrementAndGet() == 0) {
      if (ptr != 0 && free != null) free.accept(ptr);
      for (NativeRef p : parents) {
        if (p != null) p.release();
      }
    }
  }

  /** The owner's release (Cleaner action). */
  @Override
  public void run() {
    release();
  }
}
