package io.replicator.common;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class ThrottleTest {
  @Test
  public void neverRunsAheadOfItsRate() throws Exception {
    // 2 MB at 8 MB/s cannot take less than 0.25 s; the check is a lower bound, so load cannot fail it.
    Throttle t = new Throttle(8 << 20);
    long start = System.nanoTime();
    for (int i = 0; i < 2048; i++) {
      t.acquire(1024);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue("took " + seconds + " s", seconds >= 0.24);
    assertTrue(t.sleptMillis() > 0);
  }

  @Test
  public void ratesParseWithUnits() {
    assertEquals(1024.0 * 1024 * 1024 / 3600, Throughput.bytesPerSecond("1GB/h"), 1e-6);
    assertEquals(50.0 * 1024 * 1024, Throughput.bytesPerSecond("50MB/s"), 1e-6);
    assertEquals(500.0 * 1024 / 60, Throughput.bytesPerSecond("500KB/min"), 1e-6);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Throughput.bytesPerSecond("fast")).getMessage()
        .contains("'fast' is not a rate (examples: 1GB/h, 50MB/s, 500KB/min)"));
    assertThrows(IllegalArgumentException.class, () -> new Throttle(0));
  }
}
