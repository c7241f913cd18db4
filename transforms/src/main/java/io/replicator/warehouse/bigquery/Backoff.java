package io.replicator.warehouse.bigquery;

import io.replicator.warehouse.spi.WarehouseException;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: the first wait, then doubling up to a minute. */
record Backoff(int maxAttempts, long initialMillis) {
  private static final long MAX_MILLIS = 60_000;

  /** Waits before attempt {@code attempt + 1}. */
  void sleep(int attempt) {
    long base = Math.min(MAX_MILLIS, initialMillis << Math.min(attempt - 1, 16));
    long wait = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    try {
      Thread.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WarehouseException("interrupted while waiting to retry a BigQuery call", e);
    }
  }
}
