package io.replicator.s3;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.After;
import org.junit.Test;

/** A bundle's copies on a shared pool: each result taken once, and the wait ends when it should. */
public class CopiesInFlightTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @After
  public void stop() {
    pool.shutdownNow();
  }

  @Test
  public void everyCopyIsTakenOnceWhateverTheOrderTheyFinishIn() throws Exception {
    CopiesInFlight<Integer> copies = new CopiesInFlight<>(pool);
    Set<Integer> taken = new HashSet<>();
    for (int i = 0; i < 5_000; i++) {
      int n = i;
      copies.submit(() -> {
        if (n % 7 == 0) {
          Thread.sleep(0, 200_000);
        }
        return n;
      });
      if (copies.pending() >= 16) {
        copies.awaitRunning(12);
      }
      for (Future<Integer> f = copies.poll(); f != null; f = copies.poll()) {
        assertTrue("taken twice: " + f.get(), taken.add(f.get()));
      }
    }
    copies.awaitRunning(0);
    for (Future<Integer> f = copies.poll(); f != null; f = copies.poll()) {
      assertTrue("taken twice: " + f.get(), taken.add(f.get()));
    }
    assertEquals(5_000, taken.size());
    assertEquals(0, copies.pending());
    assertNull(copies.poll());
  }

  @Test
  public void theWaitEndsOnlyOnceFewEnoughAreStillRunning() throws Exception {
    CopiesInFlight<String> copies = new CopiesInFlight<>(pool);
    CountDownLatch[] release = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
    for (CountDownLatch r : release) {
      copies.submit(() -> {
        r.await();
        return "done";
      });
    }
    AtomicBoolean waited = new AtomicBoolean();
    Thread waiter = new Thread(() -> {
      try {
        copies.awaitRunning(1);
        waited.set(true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    release[0].countDown();
    waiter.join(300);
    assertFalse("two still running", waited.get());
    release[1].countDown();
    waiter.join(10_000);
    assertTrue(waited.get());
    release[2].countDown();
    copies.awaitRunning(0);
    assertEquals("done", copies.poll().get());
  }

  @Test
  public void aFailedCopyIsTakenWithItsFailureAndAnInterruptedWaitSaysSo() throws Exception {
    CopiesInFlight<String> copies = new CopiesInFlight<>(pool);
    copies.submit(() -> {
      throw new IllegalStateException("broken");
    });
    copies.awaitRunning(0);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> copies.poll().get());
    assertEquals("broken", failed.getCause().getMessage());

    CountDownLatch never = new CountDownLatch(1);
    copies.submit(() -> {
      never.await();
      return "late";
    });
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> copies.awaitRunning(0));
    never.countDown();
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }
}
