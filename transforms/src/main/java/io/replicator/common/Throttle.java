package io.replicator.common;

/**
 * Paces one reader to a rate: after each unit of work it sleeps just long enough that the bytes
 * so far took at least bytes / rate seconds. Not thread-safe: one per reader.
 */
public final class Throttle {
  /** Checks the clock once per this many bytes, so small rows cost no clock reads. */
  private static final long CHECK_EVERY = 64 * 1024;

  private final double bytesPerNano;
  private final long start = System.nanoTime();
  private long bytes;
  private long unchecked;
  private long sleptNanos;

  public Throttle(double bytesPerSecond) {
    if (!(bytesPerSecond > 0)) {
      throw new IllegalArgumentException("a throttle needs a positive rate, got " + bytesPerSecond);
    }
    this.bytesPerNano = bytesPerSecond / 1e9;
  }

  /** Counts {@code n} bytes done, sleeping when ahead of the rate. */
  public void acquire(long n) throws InterruptedException {
    bytes += n;
    unchecked += n;
    if (unchecked < CHECK_EVERY) {
      return;
    }
    unchecked = 0;
    long due = start + (long) (bytes / bytesPerNano);
    long ahead = due - System.nanoTime();
    if (ahead > 0) {
      sleptNanos += ahead;
      Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
    }
  }

  /** How long this throttle has slept so far. */
  public long sleptMillis() {
    return sleptNanos / 1_000_000;
  }
}
