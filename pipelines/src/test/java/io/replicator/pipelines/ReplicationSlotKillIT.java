package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.replicator.testing.ChildProcess;
import io.replicator.testing.PostgresServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A stream from a replication slot killed (SIGKILL, mid-window, mid-merge perhaps) while a writer
 * changes its table, then started again: it resumes from the slot's confirmed position and the
 * target ends equal to the source. The stream runs as its own process from the bundled jar.
 */
public class ReplicationSlotKillIT {
  private static final Path JAR = Path.of("target", "replicator-bundled.jar").toAbsolutePath();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aKilledStreamResumesFromTheConfirmedPositionAndEndsExact() throws Exception {
    PostgresServer pg = PostgresServer.get();
    String db = pg.createDatabase("slot_kill");
    Path dir = tmp.getRoot().toPath();
    Path password = Files.writeString(dir.resolve("pw"), PostgresServer.PASSWORD);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id int PRIMARY KEY, qty int, note text);"
          + " INSERT INTO items SELECT g, g, repeat('x', g % 50) FROM generate_series(1, 500) g");
    }
    List<String> stream = List.of("replicate", "--streaming=true", "--tables=public.items", "--jdbcUrl=" + pg.url(db),
        "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + password, "--slot=kill_test",
        "--loadInterval=1s", "--watchInterval=300ms", "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    List<String> command = new java.util.ArrayList<>(List.of(ChildProcess.java(), "-jar", JAR.toString()));
    command.addAll(stream);
    File log = dir.resolve("stream.log").toFile();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    Random random = new Random(5);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      // Killed once a window has been merged and confirmed (however long a busy machine takes to
      // get there), with changes still in flight; then the writes go on for a while.
      long start = System.currentTimeMillis();
      long mergedAt = 0;
      long killedAt = 0;
      for (int op = 0; killedAt == 0 || System.currentTimeMillis() < killedAt + 5_000; op++) {
        int id = 1 + random.nextInt(600);
        switch (random.nextInt(3)) {
          case 0 -> st.execute("UPDATE items SET qty = qty + 1 WHERE id = " + id);
          case 1 -> st.execute("DELETE FROM items WHERE id = " + id);
          default -> st.execute("INSERT INTO items VALUES (" + id + ", 0, 'again') ON CONFLICT (id) DO UPDATE"
              + " SET note = 'upserted'");
        }
        long now = System.currentTimeMillis();
        if (mergedAt == 0 && op % 40 == 0
            && Files.readString(log.toPath(), StandardCharsets.UTF_8).contains("window done: merged items")) {
          mergedAt = now;
        }
        if (mergedAt != 0 && killedAt == 0 && now > mergedAt + 3_000) {
          process.destroyForcibly();
          assertTrue(process.waitFor(30, TimeUnit.SECONDS));
          killedAt = now;
        }
        if (mergedAt == 0 && now > start + 120_000) {
          fail("no window merged in 2 minutes: " + Files.readString(log.toPath(), StandardCharsets.UTF_8));
        }
        Thread.sleep(5);
      }
    } finally {
      process.destroyForcibly();
    }
    try (Connection c = pg.connect(db); Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn IS NOT NULL FROM pg_replication_slots"
            + " WHERE slot_name = 'kill_test'")) {
      assertTrue("the slot exists", rs.next());
    }

    List<String> again = new java.util.ArrayList<>(stream);
    again.add("--streamFor=8s");
    Replication.Outcome resumed = Replication.cli(again.toArray(String[]::new));
    assertEquals(resumed.err() + resumed.out(), 0, resumed.code());
    Replication.Outcome verify = Replication.cli("verify", "--table=items", "--jdbcUrl=" + pg.url(db),
        "--jdbcTable=public.items", "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + password,
        "--warehouse=duckdb:" + dir.resolve("w.duckdb"), "--staging=" + dir.resolve("staging"));
    assertEquals(verify.err() + verify.out() + "\n" + Files.readString(log.toPath(), StandardCharsets.UTF_8), 0,
        verify.code());
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("SELECT pg_drop_replication_slot('kill_test')");
    }
  }
}
