package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.replicator.testing.PostgresServer;
import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A PostgreSQL table replicated from a logical replication slot, run after run, against a real
 * server: the first run reads the table at the slot's position while a writer keeps changing it,
 * later runs apply what the slot holds, and {@code verify} compares source and target row by row.
 */
public class ReplicationSlotTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private PostgresServer pg;
  private String db;
  private Path dir;
  private Path passwordFile;
  private String slot;

  @Before
  public void setUp() throws Exception {
    pg = PostgresServer.get();
    String id = Integer.toString(Math.abs(tmp.getRoot().getName().hashCode()));
    db = pg.createDatabase("slot_" + id);
    slot = "replicator_" + id;
    dir = tmp.getRoot().toPath();
    passwordFile = dir.resolve("pw");
    Files.writeString(passwordFile, PostgresServer.PASSWORD + "\n");
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      // Large values stored out of line uncompressed, so an update that leaves them alone sends
      // them as "unchanged" (TOAST), as real tables with long text or bytea do.
      st.execute("""
          CREATE TABLE orders (region text, id int, amount numeric(12,2), note text, payload bytea, tags text[],
            doc jsonb, placed date, at timestamptz, "select" text, "설명" text, flag boolean, ratio float8,
            PRIMARY KEY (region, id));
          ALTER TABLE orders ALTER COLUMN note SET STORAGE EXTERNAL;
          ALTER TABLE orders ALTER COLUMN payload SET STORAGE EXTERNAL;
          """);
      insert(st, 0, 300);
    }
  }

  @After
  public void dropSlot() throws SQLException {
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '"
          + slot + "%' AND NOT active");
    }
  }

  /** Rows {@code from} to {@code to - 1}; every fifth has a long note and payload. */
  private static void insert(Statement st, int from, int to) throws SQLException {
    st.execute("INSERT INTO orders SELECT CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, g, g * 1.25,"
        + " CASE WHEN g % 5 = 0 THEN repeat(md5(g::text), 200) ELSE 'short ' || g END,"
        + " CASE WHEN g % 5 = 0 THEN decode(repeat(md5(g::text), 100), 'hex') ELSE '\\x00ff'::bytea END,"
        + " ARRAY['a' || g, 'b \"q\"', NULL], jsonb_build_object('g', g, 'k', ARRAY[1, 2]),"
        + " DATE '2024-01-01' + g, TIMESTAMPTZ '2024-01-01 00:00:00.123456+02' + g * INTERVAL '1 hour',"
        + " 'sel ' || g, '설명 ' || g, g % 2 = 0, g / 7.0"
        + " FROM generate_series(" + from + ", " + (to - 1) + ") g");
  }

  private Replication.Outcome command(String pipeline, String... extra) {
    List<String> args = new ArrayList<>(List.of(pipeline, "--table=orders", "--jdbcUrl=" + pg.url(db),
        "--jdbcTable=public.orders", "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb")));
    if (pipeline.equals("replicate")) {
      args.add("--slot=" + slot);
    }
    for (String e : extra) {
      String name = e.substring(0, e.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      args.add(e);
    }
    return Replication.cli(args.toArray(String[]::new));
  }

  private void assertTargetMatchesSource() {
    Replication.Outcome verify = command("verify");
    assertEquals(verify.err() + verify.out(), 0, verify.code());
    assertTrue(verify.out(), verify.out().contains("source and target match"));
  }

  private String confirmedPosition() throws SQLException {
    try (Connection c = pg.connect(db); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
            + slot + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private void sql(String statements) throws SQLException {
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute(statements);
    }
  }

  @Test
  public void readsTheTableOnceThenFollowsItsChangesRunAfterRun() throws Exception {
    // A transaction open across the slot's creation: the slot waits for it, and the first read has it.
    CountDownLatch open = new CountDownLatch(1);
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread openAcross = new Thread(() -> {
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        c.setAutoCommit(false);
        st.execute("UPDATE orders SET amount = -1 WHERE id < 10");
        open.countDown();
        Thread.sleep(3000);
        c.commit();
      } catch (Exception e) {
        failed.set(e);
        open.countDown();
      }
    });
    openAcross.start();
    open.await();
    // A writer that keeps changing the table while the first run reads it.
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      Random random = new Random(7);
      int next = 10_000;
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        while (writing.get()) {
          int id = random.nextInt(300);
          switch (random.nextInt(4)) {
            case 0 -> st.execute("UPDATE orders SET amount = amount + 1 WHERE id = " + id);
            case 1 -> st.execute("DELETE FROM orders WHERE id = " + id);
            case 2 -> insert(st, next, ++next);
            default -> st.execute("UPDATE orders SET note = 'rewritten ' || id, flag = NOT flag WHERE id = " + id);
          }
          Thread.sleep(5);
        }
      } catch (Exception e) {
        failed.set(e);
      }
    });
    writer.start();
    Replication.Outcome first;
    try {
      first = command("replicate");
    } finally {
      writing.set(false);
      writer.join();
      openAcross.join();
    }
    assertEquals(null, failed.get());
    assertEquals(first.err() + first.out(), 0, first.code());
    assertTrue(first.out(), first.out().contains("slot created by this run"));
    assertTrue(first.out(), first.out().contains("rows of public.orders"));
    String afterFirst = confirmedPosition();

    // The second run applies what committed during and after the first.
    sql("""
        UPDATE orders SET amount = amount * 2 WHERE id % 5 = 0;
        UPDATE orders SET id = id + 100000, "select" = 'moved' WHERE id % 11 = 1 AND id % 5 <> 0;
        DELETE FROM orders WHERE id % 13 = 2;
        UPDATE orders SET payload = '\\x0102'::bytea, tags = '{}' WHERE id = 20;
        """);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      insert(st, 400, 420);
    }
    sql("DELETE FROM orders WHERE id = 405; INSERT INTO orders (region, id, amount) VALUES ('eu', 405, 1.5)");
    // A large transaction: streamed from the server a fetch at a time, not held whole.
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      insert(st, 30_000, 40_000);
      st.execute("UPDATE orders SET \"설명\" = 'bulk' WHERE id >= 30000; DELETE FROM orders WHERE id >= 35000");
      c.commit();
    }
    Replication.Outcome second = command("replicate");
    assertEquals(second.err() + second.out(), 0, second.code());
    assertTrue(second.out(), !second.out().contains("rows of public.orders"));
    assertEquals(0, second.count("rejected"));
    assertTargetMatchesSource();
    assertNotEquals(afterFirst, confirmedPosition());

    // Nothing new: nothing changes, and the slot stays where it is or moves on.
    Replication.Outcome third = command("replicate");
    assertEquals(third.err() + third.out(), 0, third.code());
    assertEquals(0, third.count("inserted") + third.count("updated") + third.count("deleted"));
    assertTargetMatchesSource();
  }

  private Replication.Outcome stream(String streamFor, String... more) {
    return streamTables(streamFor, "public.orders,public.customers", more);
  }

  private Replication.Outcome streamTables(String streamFor, String tables, String... more) {
    List<String> args = new ArrayList<>(List.of("replicate", "--streaming=true", "--tables=" + tables,
        "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--slot=" + slot, "--loadInterval=2s", "--watchInterval=500ms", "--streamFor=" + streamFor,
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb")));
    args.addAll(List.of(more));
    return Replication.cli(args.toArray(String[]::new));
  }

  /** What a writer does to the source while a stream runs. */
  private interface SourceWrites {
    void run() throws Exception;
  }

  /** An 8 s stream of orders while {@code writes} run on a thread of their own; it must end well. */
  private Replication.Outcome streamOrdersWhile(SourceWrites writes) throws InterruptedException {
    Replication.Outcome stream = streamOrdersEndingAsItMay(writes);
    assertEquals(stream.err() + stream.out(), 0, stream.code());
    return stream;
  }

  private Replication.Outcome streamOrdersEndingAsItMay(SourceWrites writes) throws InterruptedException {
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        writes.run();
      } catch (Exception e) {
        failed.set(e);
      }
    });
    writer.start();
    // Long enough after the writes (2.5-4 s in) for the windows to merge them on a loaded machine:
    // with 8 s, a suite run once saw a stream that had merged nothing of writes 3.7 s in.
    Replication.Outcome stream = Replication.cli("replicate", "--streaming=true", "--tables=public.orders",
        "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--slot=" + slot, "--loadInterval=1s", "--watchInterval=500ms", "--streamFor=12s",
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    writer.join();
    assertEquals(null, failed.get());
    return stream;
  }

  /** A second table, with a large value kept out of line (TOASTed) in each row. */
  private void createCustomers() throws SQLException {
    sql("""
        CREATE TABLE customers (id int PRIMARY KEY, name text, big text);
        ALTER TABLE customers ALTER COLUMN big SET STORAGE EXTERNAL;
        INSERT INTO customers SELECT g, 'c' || g, repeat(md5(g::text), 100) FROM generate_series(1, 50) g;
        """);
  }

  private static long columnsAdded(Replication.Outcome run) {
    return run.out().contains("\n  columns ") ? run.count("columns") : 0;
  }

  /** One write of a {@link Writer}, the {@code ops}-th, on its own connection. */
  private interface WriteStep {
    void run(Statement st, int ops) throws Exception;
  }

  /** A writer changing the source on a thread of its own, step after step, until stopped. */
  private final class Writer {
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final AtomicReference<Exception> failed = new AtomicReference<>();
    private final Thread thread;

    Writer(long pauseMillis, WriteStep step) {
      thread = new Thread(() -> {
        try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
          for (int ops = 0; writing.get(); ops++) {
            step.run(st, ops);
            Thread.sleep(pauseMillis);
          }
        } catch (Exception e) {
          failed.set(e);
        }
      });
      thread.start();
    }

    /** Stops it; it must not have failed. */
    void stop() throws InterruptedException {
      writing.set(false);
      thread.join();
      assertEquals(null, failed.get());
    }
  }

  @Test
  public void streamsSeveralTablesFromOneSlotWhileAWriterChangesThem() throws Exception {
    createCustomers();
    Random random = new Random(11);
    int[] next = {20_000};
    String[] firstPosition = {null};
    boolean[] altered = {false};
    Writer writer = new Writer(10, (st, ops) -> {
      int id = random.nextInt(300);
      // A column added mid-stream: once the stream has merged a window (the slot moved).
      if (!altered[0] && ops % 50 == 0) {
        String position = confirmedPosition();
        firstPosition[0] = firstPosition[0] == null ? position : firstPosition[0];
        if (position != null && !position.equals(firstPosition[0])) {
          st.execute("ALTER TABLE customers ADD COLUMN tier numeric(6,1)");
          altered[0] = true;
        }
      }
      String tier = altered[0] ? ", tier = " + id + ".5" : "";
      switch (random.nextInt(5)) {
        case 0 -> st.execute("UPDATE orders SET amount = amount + 1 WHERE id = " + id);
        case 1 -> st.execute("DELETE FROM orders WHERE id = " + id);
        case 2 -> insert(st, next[0], ++next[0]);
        case 3 -> st.execute("UPDATE customers SET name = name || '+'" + tier + " WHERE id = " + (id % 60));
        default -> st.execute("BEGIN; DELETE FROM customers WHERE id = " + (id % 60) + "; INSERT INTO customers"
            + " VALUES (" + (id % 60) + ", 'again', 'short') ON CONFLICT DO NOTHING; COMMIT");
      }
    });
    Replication.Outcome first;
    try {
      // The first reads go as a batch run's do: in the partitions and at the rate asked for.
      first = stream("15s", "--jdbcPartitions=3", "--jdbcFetchSize=100", "--maxThroughput=50MB/s");
    } finally {
      writer.stop();
    }
    if (!altered[0]) { // the stream never merged while the writer ran: the next one meets the column
      sql("ALTER TABLE customers ADD COLUMN tier numeric(6,1); UPDATE customers SET tier = 1.5");
    }
    assertEquals(first.err() + first.out(), 0, first.code());
    assertTrue(first.out(), first.out().contains(
        "public.orders (3 partitions), public.customers (3 partitions) whole at the slot's position first"));
    assertTrue(first.out(), first.count("inserted") + first.count("updated") + first.count("deleted") > 0);
    String afterFirst = confirmedPosition();
    assertTrue(first.err(), afterFirst != null);

    // Started again, the stream goes on from the confirmed position and catches up.
    Replication.Outcome second = stream("6s");
    assertEquals(second.err() + second.out(), 0, second.code());
    assertEquals(first.out() + second.out(), 1, columnsAdded(first) + columnsAdded(second));
    assertTargetMatchesSource();
    Replication.Outcome customers = command("verify", "--table=customers", "--jdbcTable=public.customers");
    assertEquals(customers.err() + customers.out(), 0, customers.code());
    assertNotEquals(afterFirst, confirmedPosition());

    // A table named later joins the slot's publication, is read whole, then followed.
    sql("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one'), (2, 'two')");
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread later = new Thread(() -> {
      try {
        Thread.sleep(4000);
        sql("UPDATE notes SET body = 'changed' WHERE id = 1; INSERT INTO notes VALUES (3, 'three')");
      } catch (Exception e) {
        failed.set(e);
      }
    });
    later.start();
    Replication.Outcome third = streamTables("10s", "public.orders,public.customers,public.notes");
    later.join();
    assertEquals(null, failed.get());
    assertEquals(third.err() + third.out(), 0, third.code());
    assertTrue(third.out(), third.out().contains("public.notes (1 partition) whole at the slot's position first"));
    Replication.Outcome notes = command("verify", "--table=notes", "--jdbcTable=public.notes");
    assertEquals(notes.err() + notes.out(), 0, notes.code());
  }

  @Test
  public void firstReadsAsStepsOfTheStreamsJobAreAppliedBeforeTheSlotIsRead() throws Exception {
    createCustomers();
    // From before the stream starts: updates that leave the TOASTed column out (they need the
    // first read's row under them), deletes and re-inserts.
    Random random = new Random(5);
    Writer writer = new Writer(5, (st, ops) -> {
      int id = 1 + random.nextInt(50);
      switch (random.nextInt(4)) {
        case 0, 1 -> st.execute("UPDATE customers SET name = name || '+' WHERE id = " + id);
        case 2 -> st.execute("UPDATE orders SET amount = amount + 1 WHERE id = " + id * 5);
        default -> st.execute("DELETE FROM orders WHERE id = " + (id * 5 + 1) + "; " + "INSERT INTO orders"
            + " (region, id, note) VALUES ('us', " + (id * 5 + 1) + ", 'again') ON CONFLICT DO NOTHING");
      }
    });
    Replication.Outcome first;
    try {
      Thread.sleep(300);
      first = stream("12s", "--firstReadsInJob=true", "--jdbcPartitions=3", "--maxThroughput=50MB/s");
    } finally {
      writer.stop();
    }
    assertEquals(first.err() + first.out(), 0, first.code());
    assertTrue(first.out(), first.out().contains(
        "public.orders (3 partitions), public.customers (3 partitions) whole at the slot's position first"));
    // Updates of customers leave its TOASTed column out: none found the target without its row
    // (that the slot is read only after the first reads is checked in ReadSlotStreamTest).
    assertEquals(first.out(), 0, first.count("rejected"));
    assertTrue(first.out(), first.count("updated") > 0);

    // Started again the usual way, it goes on from the confirmed position: both tables exact.
    Replication.Outcome second = stream("4s");
    assertEquals(second.err() + second.out(), 0, second.code());
    assertFalse(second.out(), second.out().contains("whole at the slot's position first"));
    assertTargetMatchesSource();
    command("verify", "--table=customers", "--jdbcTable=public.customers").ok();
  }

  @Test
  public void aMovedKeyWithValuesLeftInToastIsCompletedFromTheOldKeysRow() throws Exception {
    command("replicate").ok();
    // A second slot on the same publication, left behind here, replays everything below at the end.
    String replay = slot + "_replay";
    command("replicate", "--slot=" + replay, "--publication=" + slot, "--staging=" + dir.resolve("replay-staging"),
        "--warehouse=duckdb:" + dir.resolve("replay.duckdb")).ok();
    // Under REPLICA IDENTITY DEFAULT a moved key's new row arrives without its TOASTed values: they
    // are the old key's, from the target (5), from the run's own partial change over the target's
    // row (10), from the run's own whole row (a row inserted and moved in the run), along a chain of
    // moves (20 -> 20020 -> 20021), with a move onto a key freed in the same run (25 -> 26), and
    // from the target when the old key is used again after the move (50 -> 50050, a new 50): the
    // target holds nothing as recent as the move, so its row of 50 is the one before it.
    sql("UPDATE orders SET id = 5005 WHERE id = 5;"
        + " UPDATE orders SET amount = 99 WHERE id = 10; UPDATE orders SET id = 10010 WHERE id = 10;"
        + " INSERT INTO orders (region, id, note, payload) VALUES ('eu', 30000, repeat('long ', 3000),"
        + "   decode(repeat('ab', 3000), 'hex')); UPDATE orders SET id = 30001 WHERE id = 30000;"
        + " UPDATE orders SET id = 20020 WHERE id = 20; UPDATE orders SET flag = NULL WHERE id = 20020;"
        + " UPDATE orders SET id = 20021 WHERE id = 20020;"
        + " DELETE FROM orders WHERE id = 26; UPDATE orders SET id = 26 WHERE id = 25;"
        + " UPDATE orders SET id = 50050 WHERE id = 50; INSERT INTO orders (region, id, note) VALUES ('us', 50, 'new');");
    Replication.Outcome run = command("replicate");
    assertEquals(run.err() + run.out(), 0, run.code());
    assertEquals(run.out(), 0, run.count("rejected"));
    assertTrue(run.out(), run.out().contains("completed   7 key moves"));
    assertTargetMatchesSource();

    // In a stream too, with the old key's row in the target, in an earlier window, or in the same poll.
    Replication.Outcome stream = streamOrdersWhile(() -> {
      Thread.sleep(2500);
      sql("UPDATE orders SET id = 35035 WHERE id = 35; UPDATE orders SET amount = 1 WHERE id = 40");
      Thread.sleep(1500);
      sql("UPDATE orders SET id = 40040 WHERE id = 40; UPDATE orders SET id = 45045 WHERE id = 45;"
          + " UPDATE orders SET id = 45046 WHERE id = 45045");
    });
    assertEquals(stream.out(), 0, stream.count("rejected"));
    assertTrue(stream.out(), stream.out().contains("completed   4 key moves"));
    assertTargetMatchesSource();

    // Every change above read again into the same target (a run that merged and was not confirmed,
    // say): the old keys are gone from the target or newer there, and nothing changes.
    Replication.Outcome again = command("replicate", "--slot=" + replay, "--publication=" + slot);
    assertEquals(again.err() + again.out(), 0, again.code());
    assertEquals(again.out(), 0, again.count("inserted") + again.count("updated") + again.count("deleted"));
    assertTrue(again.out(), again.count("ignored") > 0 && !again.out().contains("incomplete"));
    assertTargetMatchesSource();
  }

  @Test
  public void aTruncateEmptiesTheTargetInItsPlaceAmongTheChanges() throws Exception {
    command("replicate").ok();
    // Changes before the TRUNCATE (one in its own transaction) are gone with it; those after stay.
    sql("UPDATE orders SET amount = 0 WHERE id = 1; INSERT INTO orders (region, id) VALUES ('x', 1);"
        + " BEGIN; INSERT INTO orders (region, id) VALUES ('x', 2); TRUNCATE orders; INSERT INTO orders (region, id)"
        + " VALUES ('x', 3); COMMIT;");
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      insert(st, 1000, 1010);
    }
    sql("UPDATE orders SET amount = 7 WHERE id = 1001; DELETE FROM orders WHERE id = 1002");
    Replication.Outcome run = command("replicate").ok();
    assertTrue(run.out(), run.out().contains("truncated   1 TRUNCATE applied"));
    assertEquals(300, run.count("deleted"));
    assertTargetMatchesSource();

    // Read again (the slot is not confirmed yet, say): the same result.
    Replication.Outcome again = command("replicate").ok();
    assertEquals(0, again.count("inserted") + again.count("deleted"));
    assertTargetMatchesSource();

    // A stream applies a TRUNCATE in its place too: rows merged in earlier windows, rows of changes
    // passed on in this window (maybe still unmerged), and rows of the same transaction before it go;
    // what comes after it stays. Then a batch run goes on from where the stream confirmed the slot.
    Replication.Outcome stream = streamOrdersWhile(() -> {
      Thread.sleep(2500);
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        insert(st, 2000, 2050);
      }
      Thread.sleep(1200); // likely merged by the TRUNCATE's poll, or still in flight: either way deleted
      sql("UPDATE orders SET amount = 5 WHERE id = 2001; BEGIN; INSERT INTO orders (region, id) VALUES ('y', 4);"
          + " TRUNCATE orders; INSERT INTO orders (region, id) VALUES ('y', 5); COMMIT;"
          + " INSERT INTO orders (region, id) VALUES ('y', 6)");
    });
    assertTrue(stream.out(), stream.out().contains("truncated   1 TRUNCATE applied"));
    assertTargetMatchesSource();
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
        rs.next();
        assertEquals(2, rs.getLong(1)); // 5 and 6
      }
    }
    command("replicate").ok();
    assertTargetMatchesSource();

    // A column added with a DEFAULT every existing row now holds, which the WAL never carries: the
    // next run adds it to the target and reads the table whole again.
    sql("ALTER TABLE orders ADD COLUMN tier int DEFAULT 7; INSERT INTO orders (region, id, tier) VALUES ('z', 9, 1)");
    Replication.Outcome added = command("replicate").ok();
    assertTrue(added.out(), added.out().contains("rows of public.orders"));
    assertTargetMatchesSource();
  }

  @Test
  public void aColumnAddedWithADefaultOrRenamedStopsAStreamAndItsNextRunReadsTheTableAgain() throws Exception {
    command("replicate").ok();
    // Added as NULL, the rows merged before would keep NULL where the source now holds 7.
    Replication.Outcome stream = streamOrdersEndingAsItMay(() -> {
      Thread.sleep(2500);
      sql("ALTER TABLE orders ADD COLUMN tier int DEFAULT 7; UPDATE orders SET amount = 1 WHERE id = 3");
    });
    assertNotEquals(stream.err() + stream.out(), 0, stream.code());
    assertTrue(stream.err() + stream.out(), (stream.err() + stream.out()).contains(
        "column tier of public.orders was added at the source with a default"));
    Replication.Outcome next = command("replicate").ok();
    assertTrue(next.out(), next.out().contains("rows of public.orders"));
    assertTargetMatchesSource();

    // A renamed column keeps the rows' values under its new name: to the stream a column new while
    // another is gone. It stops; the next run (of the tables, which accept the old column staying in
    // the target) reads the table again with the new column filled.
    stream = streamOrdersEndingAsItMay(() -> {
      Thread.sleep(2500);
      sql("ALTER TABLE orders RENAME COLUMN note TO remark; UPDATE orders SET amount = 2 WHERE id = 4");
    });
    assertNotEquals(stream.err() + stream.out(), 0, stream.code());
    assertTrue(stream.err() + stream.out(), (stream.err() + stream.out()).contains(
        "column remark of public.orders is new at the source and note is gone"));
    Replication.Outcome tables = Replication.cli("replicate", "--tables=public.orders", "--jdbcUrl=" + pg.url(db),
        "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile, "--slot=" + slot,
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    assertEquals(tables.err() + tables.out(), 0, tables.code());
    assertTrue(tables.out(), tables.out().contains("public.orders (1 partition) whole at the slot's position first"));
    assertTargetMatchesSource();
  }

  @Test
  public void aTrialWarnsOfTheWalTheSlotKeepsAndDropsItsSlot() throws Exception {
    command("replicate").ok();
    sql("UPDATE orders SET amount = amount + 1");
    Replication.Outcome run = command("replicate", "--maxSlotLag=1", "--dropSlotOnExit=true").ok();
    assertTrue(run.out(), run.out().matches("(?s).*the slot kept \\S+ \\S+ of WAL on the source at the start, more than"
        + " --maxSlotLag=1 B.*"));
    assertTrue(run.out(), run.out().contains("dropped replication slot " + slot));
    assertEquals(null, confirmedPosition());
    assertTargetMatchesSource();
    // The next run starts a new slot, and reads the table whole again.
    assertTrue(command("replicate").ok().out().contains("slot created by this run"));
    assertTargetMatchesSource();
  }

  @Test
  public void aTableWithoutAKeyIsRefusedBeforeItsWritesCouldBeBroken() throws Exception {
    sql("CREATE TABLE loose (a int, b text); INSERT INTO loose VALUES (1, 'x')");
    Replication.Outcome run = command("replicate", "--table=loose", "--jdbcTable=public.loose", "--keys=a");
    assertNotEquals(run.out(), 0, run.code());
    assertTrue(run.err(), run.err().contains("public.loose has no primary key"));
    assertTrue(run.err(), run.err().contains("REPLICA IDENTITY FULL"));
    // No publication was made, so the source's own updates still work.
    sql("UPDATE loose SET b = 'y'; DELETE FROM loose");
  }

  @Test
  public void aRunWithoutStreamingFollowsSeveralTablesThroughOneSlotAndStops() throws Exception {
    createCustomers();
    Replication.Outcome first = catchUp();
    assertEquals(first.err() + first.out(), 0, first.code());
    assertTrue(first.out(), first.out().contains("replicate orders, customers: done in "));
    assertTrue(first.out(), first.out().contains(
        "public.orders (1 partition), public.customers (1 partition) whole at the slot's position first"));
    assertTargetMatchesSource();

    // Changes to both tables, a key move that leaves a TOASTed value out, a TRUNCATE and what follows it.
    sql("UPDATE orders SET amount = amount + 1 WHERE id < 50; DELETE FROM orders WHERE id > 280;"
        + " UPDATE customers SET id = 1001 WHERE id = 1; UPDATE customers SET name = 'x' WHERE id = 2;"
        + " INSERT INTO customers VALUES (77, 'new', 'short')");
    Replication.Outcome second = catchUp();
    assertEquals(second.err() + second.out(), 0, second.code());
    assertTrue(second.out(), second.out().contains("completed   1 key moves"));
    assertTrue(second.out(), second.count("merged") > 2);
    assertTargetMatchesSource();
    String confirmed = confirmedPosition();
    sql("TRUNCATE customers; INSERT INTO customers VALUES (5, 'after', 'x'); UPDATE orders SET note = 'n' WHERE id = 3");
    Replication.Outcome third = catchUp();
    assertEquals(third.err() + third.out(), 0, third.code());
    assertTrue(third.out(), third.out().contains("truncated   1 TRUNCATE applied"));
    assertNotEquals(confirmed, confirmedPosition());
    assertTrue(third.out(), third.out().contains("slot confirmed to LSN " + confirmedPosition()));
    assertTargetMatchesSource();
    Replication.Outcome customers = command("verify", "--table=customers", "--jdbcTable=public.customers");
    assertEquals(customers.err() + customers.out(), 0, customers.code());

    // Columns added at the source between runs, one with a DEFAULT that every existing row now holds
    // (the WAL never carries it): added to the targets, each table read whole again.
    sql("ALTER TABLE customers ADD COLUMN tier int DEFAULT 7; ALTER TABLE orders ADD COLUMN \"größe\" text;"
        + " UPDATE customers SET tier = 8 WHERE id = 5");
    Replication.Outcome fourth = catchUp();
    assertEquals(fourth.err() + fourth.out(), 0, fourth.code());
    assertTrue(fourth.out(), fourth.out().contains(
        "public.orders (1 partition), public.customers (1 partition) whole at the slot's position first"));
    assertTargetMatchesSource();
    customers = command("verify", "--table=customers", "--jdbcTable=public.customers");
    assertEquals(customers.err() + customers.out(), 0, customers.code());

    // Nothing new: nothing applied.
    Replication.Outcome idle = catchUp();
    assertEquals(idle.err() + idle.out(), 0, idle.code());
    assertEquals(0, idle.count("inserted") + idle.count("updated") + idle.count("deleted"));
    Replication.Outcome streamFor = Replication.cli("replicate", "--tables=public.orders", "--jdbcUrl=" + pg.url(db),
        "--slot=" + slot, "--streamFor=5s", "--staging=" + dir.resolve("staging"));
    assertEquals(2, streamFor.code());
    assertTrue(streamFor.err(), streamFor.err().contains("--streamFor bounds a stream"));
    Replication.Outcome table = Replication.cli("replicate", "--tables=public.orders", "--jdbcTable=public.orders",
        "--jdbcUrl=" + pg.url(db), "--slot=" + slot, "--staging=" + dir.resolve("staging"));
    assertEquals(2, table.code());
    assertTrue(table.err(), table.err().contains("--jdbcTable does not go with --tables"));
  }

  /**
   * A run without --streaming of both tables through the slot: what it holds now, then stop. Small
   * batches, so that what it spills goes to many batches, both tables in most.
   */
  private Replication.Outcome catchUp() throws java.io.IOException {
    Replication.Outcome run = Replication.cli("replicate", "--tables=public.orders,public.customers",
        "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--slot=" + slot, "--batchMaxRows=50", "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    // The slot's changes went through spill files, all removed once staged.
    try (Stream<Path> left = Files.walk(dir.resolve("staging"))) {
      assertEquals(List.of(), left.filter(f -> f.toString().endsWith(".changes")).toList());
    }
    return run;
  }

  @Test
  public void intoBigQueryEveryChangeIsLoadedAndTheSlotConfirmedOnlyOnceItsMergeSucceeded() throws Exception {
    createCustomers();
    try (FakeBigQuery bq = new FakeBigQuery()) {
      bq.reloadsFind(0, 0); // the targets are new: a first read removes nothing
      bq.answerKeyRecordsFromAppliedLines(); // a moved key's TOASTed values come from its old row
      String[] toBigQuery = {"--warehouse=bigquery:p.d", "--bigQueryEndpoint=" + bq.endpoint(),
          "--staging=" + dir.resolve("bq-staging")};
      Replication.Outcome first = Replication.cli(slotArgs("public.orders,public.customers", toBigQuery));
      assertEquals(first.err() + first.out(), 0, first.code());
      String confirmed = confirmedPosition();

      // Changes of every kind; the merges of the next run fail, so the slot must stay where it was.
      sql("UPDATE orders SET amount = amount + 1 WHERE id < 50; DELETE FROM orders WHERE id > 280;"
          + " UPDATE orders SET flag = NOT flag WHERE id % 5 = 0;" // leaves the TOASTed values out
          + " UPDATE orders SET id = id + 1000 WHERE id BETWEEN 100 AND 110;"
          + " UPDATE customers SET id = 1001 WHERE id = 1; UPDATE customers SET name = 'x' WHERE id = 2;"
          + " DELETE FROM customers WHERE id = 3; INSERT INTO customers VALUES (3, 'again', 'short')");
      bq.failJobs(r -> r.jobId().contains("_merge"), "invalidQuery", "injected: the merge failed", 100);
      Replication.Outcome refused = Replication.cli(slotArgs("public.orders,public.customers", toBigQuery));
      assertNotEquals(refused.out(), 0, refused.code());
      assertTrue(refused.err() + refused.out(), (refused.err() + refused.out()).contains("injected: the merge failed"));
      assertEquals("a failed merge confirms nothing", confirmed, confirmedPosition());

      bq.clearJobFailures();
      Replication.Outcome second = Replication.cli(slotArgs("public.orders,public.customers", toBigQuery));
      assertEquals(second.err() + second.out(), 0, second.code());
      assertNotEquals(confirmed, confirmedPosition());
      // The targets' highest sequence says the first reads are done: the changes alone are applied.
      assertFalse(second.out(), second.out().contains("whole at the slot's position first"));

      // A stream while a writer keeps changing both tables, the TOASTed values mostly left alone.
      Random random = new Random(5);
      int[] next = {50_000};
      Writer writer = new Writer(10, (st, ops) -> {
        int id = random.nextInt(300);
        switch (ops % 5) {
          case 0 -> st.execute("UPDATE orders SET amount = amount + 1 WHERE id = " + id);
          case 1 -> st.execute("DELETE FROM orders WHERE id = " + id);
          case 2 -> insert(st, next[0], ++next[0]);
          case 3 -> st.execute("UPDATE customers SET name = 'n" + ops + "' WHERE id = " + (id % 60));
          default -> st.execute("UPDATE orders SET id = id + 100000 WHERE id = " + id);
        }
      });
      List<String> streamArgs = new ArrayList<>(List.of(slotArgs("public.orders,public.customers", toBigQuery)));
      streamArgs.addAll(List.of("--streaming=true", "--loadInterval=1s", "--watchInterval=500ms", "--streamFor=6s"));
      Replication.Outcome stream;
      try {
        stream = Replication.cli(streamArgs.toArray(String[]::new));
      } finally {
        writer.stop();
      }
      assertEquals(stream.err() + stream.out(), 0, stream.code());
      assertFalse(stream.out(), stream.out().contains("whole at the slot's position first"));
      assertTrue(stream.out(), stream.count("merged") > 2);
      Replication.Outcome last = Replication.cli(slotArgs("public.orders,public.customers", toBigQuery));
      assertEquals(last.err() + last.out(), 0, last.code());

      // What the merges applied, in sequence order, equals what a reload of the source stages now.
      for (String table : List.of("orders", "customers")) {
        try (FakeBigQuery reference = new FakeBigQuery()) {
          reference.reloadsFind(0, 0);
          Replication.Outcome reload = Replication.cli("replicate", "--table=" + table, "--jdbcTable=public." + table,
              "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
              "--warehouse=bigquery:p.d", "--bigQueryEndpoint=" + reference.endpoint(),
              "--staging=" + dir.resolve("reference-staging"));
          assertEquals(reload.err() + reload.out(), 0, reload.code());
          Map<String, Map<String, JsonNode>> applied = bq.appliedRows(table);
          Map<String, Map<String, JsonNode>> source = reference.appliedRows(table);
          assertTrue(table, source.size() > 40);
          assertEquals(table, source, applied);
        }
      }
    }
  }

  /** The arguments of a {@code --tables} run through the slot, in small batches, with {@code options} added. */
  private String[] slotArgs(String tables, String... options) {
    List<String> args = new ArrayList<>(List.of("replicate", "--tables=" + tables, "--jdbcUrl=" + pg.url(db),
        "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile, "--slot=" + slot,
        "--batchMaxRows=50"));
    args.addAll(List.of(options));
    return args.toArray(String[]::new);
  }

  @Test
  public void optionsThatCannotGoWithASlotAreRefusedByName() throws Exception {
    sql("CREATE TABLE customers (id int PRIMARY KEY, name text)");
    Replication.Outcome changes = command("replicate", "--changes=" + dir.resolve("x.jsonl"));
    assertEquals(2, changes.code());
    assertTrue(changes.err(), changes.err().contains("--slot and --changes"));
    Replication.Outcome shared = command("replicate", "--publication=shared_pub");
    assertEquals(0, shared.code());
    Replication.Outcome other = command("replicate", "--slot=" + slot + "_other", "--publication=shared_pub",
        "--table=customers", "--jdbcTable=public.customers");
    assertNotEquals(other.out(), 0, other.code());
    assertTrue(other.err(), other.err().contains("publication shared_pub also publishes public.orders"));
    Replication.Outcome name = command("replicate", "--slot=Bad-Name");
    assertEquals(2, name.code());
    assertTrue(name.err(), name.err().contains("'Bad-Name' is not usable"));
    Replication.Outcome schema = Replication.cli("replicate", "--streaming=true", "--table=orders", "--keys=id",
        "--schema=" + dir.resolve("schema.json"), "--jdbcUrl=" + pg.url(db), "--slot=" + slot,
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    assertEquals(2, schema.code());
    assertTrue(schema.err(), schema.err().contains("leave out --schema"));
    Replication.Outcome oneTable = command("replicate", "--firstReadsInJob=true");
    assertEquals(2, oneTable.code());
    assertTrue(oneTable.err(), oneTable.err().contains("--firstReadsInJob applies to --tables runs"));
    Replication.Outcome noSlot = Replication.cli("replicate", "--table=orders", "--jdbcUrl=" + pg.url(db),
        "--jdbcTable=public.orders", "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--firstReadsInJob=true", "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    assertEquals(2, noSlot.code());
    assertTrue(noSlot.err(), noSlot.err().contains("--firstReadsInJob is about the tables a replication slot follows"));
  }
}
