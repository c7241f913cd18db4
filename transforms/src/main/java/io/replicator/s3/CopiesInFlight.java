package io.replicator.s3;

import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One bundle's copies running on the shared pool, their results taken as they finish, and a wait
 * that wakes the bundle's thread once for many finished copies rather than once for each: with
 * a completion service, each of a first sync's 10,000 copies woke the runner's thread on its own
 * (parking and unparking were a twentieth of the sync's CPU, on two cores shared with the server).
 * Only one thread (the bundle's) submits, waits and takes.
 */
final class CopiesInFlight<T> {
  private final ExecutorService pool;
  private final ConcurrentLinkedQueue<Future<T>> finished = new ConcurrentLinkedQueue<>();
  /** Submitted and not finished. */
  private final AtomicInteger running = new AtomicInteger();
  /** The waiting thread, woken once {@link #running} is at most {@link #wakeAt}. */
  private volatile Thread waiter;
  private volatile int wakeAt;
  /** Submitted and not yet taken. */
  private int pending;

  CopiesInFlight(ExecutorService pool) {
    this.pool = pool;
  }

  void submit(Callable<T> copy) {
    running.incrementAndGet();
    pending++;
    pool.execute(new FutureTask<>(copy) {
      @Override
      protected void done() {
        finished.add(this);
        // Counted down after it is queued: a waiter woken by the count finds it there.
        int left = running.decrementAndGet();
        Thread w = waiter;
        if (w != null && left <= wakeAt) {
          LockSupport.unpark(w);
        }
      }
    });
  }

  /** Copies submitted and not yet taken. */
  int pending() {
    return pending;
  }

  /** A finished copy, or null when none has finished since the last taken. */
  Future<T> poll() {
    Future<T> f = finished.poll();
    if (f != null) {
      pending--;
    }
    return f;
  }

  /** Waits until at most {@code atMost} copies are still running. */
  void awaitRunning(int atMost) throws InterruptedException {
    if (running.get() <= atMost) {
      return;
    }
    wakeAt = atMost;
    waiter = Thread.currentThread();
    try {
      // The waiter is set before the count is read again, and a copy counts down before it reads
      // the waiter: one of the two sees the other.
      while (running.get() > atMost) {
        LockSupport.park(this);
        if (Thread.interrupted()) {
          throw new InterruptedException("interrupted while copies were running");
        }
      }
    } finally {
      waiter = null;
    }
  }
}
