package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.replicator.testing.ChildProcess;
import io.replicator.warehouse.spi.WarehouseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A DuckDB file another process holds: the open waits for it, then fails naming the holder. */
public class DuckDbLockTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Holds {@code args[0]} open for {@code args[1]} milliseconds, after creating {@code args[2]}. */
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + args[0])) {
      Files.writeString(Path.of(args[2]), "holding");
      Thread.sleep(Long.parseLong(args[1]));
    }
  }

  private ChildProcess hold(Path db, long millis) throws Exception {
    Path ready = tmp.getRoot().toPath().resolve("ready-" + millis);
    return ChildProcess.startJava("DuckDB holder", List.of("-cp", System.getProperty("java.class.path"),
        DuckDbLockTest.class.getName(), db.toString(), String.valueOf(millis), ready.toString()),
        tmp.getRoot().toPath().resolve("holder-" + millis + ".log"), () -> Files.exists(ready), Duration.ofMinutes(1));
  }

  @Test
  public void failsAfterTheTimeoutNamingTheProcessThatHoldsTheFile() throws Exception {
    Path db = tmp.getRoot().toPath().resolve("held.duckdb");
    try (ChildProcess holder = hold(db, 60_000)) {
      long start = System.nanoTime();
      try {
        DuckDbWarehouse.open(db, Duration.ofSeconds(2)).close();
        fail("opened a file another process holds");
      } catch (WarehouseException e) {
        assertTrue(e.getMessage(), e.getMessage().matches("cannot open DuckDB database .*held\\.duckdb: another process"
            + " \\(java, PID \\d+\\) has held the database for longer than the lock timeout of 2 s \\(--lockTimeout\\)\\..*"));
        assertTrue(e.getMessage(), e.getMessage().contains("raise --lockTimeout"));
      }
      assertTrue(System.nanoTime() - start >= Duration.ofSeconds(2).toNanos());
    }
  }

  @Test
  public void waitsForAProcessThatLetsGoInTime() throws Exception {
    Path db = tmp.getRoot().toPath().resolve("turns.duckdb");
    try (ChildProcess holder = hold(db, 3_000);
        DuckDbWarehouse w = DuckDbWarehouse.open(db, Duration.ofSeconds(60))) {
      assertEquals(1, w.connection().createStatement().executeQuery("SELECT 1").getMetaData().getColumnCount());
    }
  }

  @Test
  public void namesTheHolderFromDuckDbsMessage() {
    assertEquals("another process (java, PID 4242)", DuckDbWarehouse.lockHolder("IO Error: Could not set lock on file"
        + " \"/tmp/w.duckdb\": Conflicting lock is held in /usr/lib/jvm/java-17/bin/java (PID 4242) by user root."));
    assertEquals("another process", DuckDbWarehouse.lockHolder("Could not set lock on file"));
  }
}
