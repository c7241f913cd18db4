package io.replicator.source.postgres;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.batch.SpillWriter;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.ReadChanges;
import io.replicator.testing.PostgresServer;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A replication slot's changes read for one batch run, against a real PostgreSQL server: passed
 * on as elements, or appended to spill files as they are read, a TRUNCATE applied in its place
 * either way.
 */
public class ReadSlotChangesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TargetTable ORDERS = new TargetTable("orders", new TableSchema(List.of(
      new Column("id", ColumnType.INT64, true), new Column("note", ColumnType.STRING, false)), List.of("id")),
      DeleteMode.HARD);
  /** Each key's latest change, after the run: what the target keeps. */
  private static final Map<String, String> EXPECTED = Map.of(
      "[1]", "DELETE", "[2]", "DELETE", "[3]", "DELETE", "[4]", "DELETE", "[7]", "DELETE",
      "[5]", "UPSERT \"id\":5,\"note\":\"five, after it\"", "[6]", "UPSERT \"id\":6,\"note\":\"six\"");

  private String db;
  private ReplicationSlot slot;
  private long end;

  @Before
  public void setUp() throws Exception {
    String id = Integer.toString(Math.abs(tmp.getRoot().getName().hashCode()));
    db = PostgresServer.get().createDatabase("read_slot_changes_" + id);
    PostgresServer.get().execute(db, "CREATE TABLE orders (id int PRIMARY KEY, note text);"
        + " INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    slot = ReplicationSlot.withOwnPublication(PostgresServer.get().source(db, tmp.getRoot().toPath()),
        "read_slot_changes_" + id);
    slot.prepare(List.of("public.orders"));
    // Changes before the TRUNCATE (one in its own transaction), the TRUNCATE, changes after it.
    PostgresServer.get().execute(db, "UPDATE orders SET note = 'one, before it' WHERE id = 1;"
        + " INSERT INTO orders VALUES (4, 'four')");
    PostgresServer.get().execute(db, "BEGIN; UPDATE orders SET note = 'two, before it' WHERE id = 2; TRUNCATE orders;"
        + " INSERT INTO orders VALUES (5, 'five'); COMMIT");
    PostgresServer.get().execute(db, "INSERT INTO orders VALUES (6, 'six');"
        + " UPDATE orders SET note = 'five, after it' WHERE id = 5");
    end = slot.currentPosition();
  }

  @After
  public void dropSlot() throws Exception {
    slot.drop();
  }

  @Test
  public void aTruncateDeletesEveryRowBeforeItInItsPlace() {
    ReadChanges.Result read = p.apply(ReadSlotChanges.of(slot, end, Map.of("public.orders", ORDERS))
        .withTargetRows(new TargetRows()));
    PAssert.that(read.changes()).satisfies(changes -> {
      assertEquals(EXPECTED, latestPerKey(changes));
      return null;
    });
    PAssert.that(read.deadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  public void aSpillingReadPassesOnOnlyItsFilesAndTheyHoldTheSameChanges() throws Exception {
    Path spills = tmp.newFolder("spill").toPath();
    ReadChanges.Result read = p.apply(ReadSlotChanges.of(slot, end, Map.of("public.orders", ORDERS))
        .withTargetRows(new TargetRows()).spillingInto(SpillWriter.into(3, spills.toString())));
    // Nothing passes between steps but the files: a local runner never holds the backlog.
    PAssert.that(read.changes()).empty();
    String directory = spills.toString();
    PAssert.that(read.spills()).satisfies(files -> {
      files.forEach(f -> assertTrue(f.getValue(), f.getValue().startsWith(directory)));
      return null;
    });
    p.run().waitUntilFinish();

    List<Change> changes = new ArrayList<>();
    try (Stream<Path> files = Files.walk(spills)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".changes")).toList()) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
          while (in.available() > 0) {
            changes.add(ChangeCoder.of().decode(in));
          }
        }
      }
    }
    assertEquals(EXPECTED, latestPerKey(changes));
  }

  private static Map<String, String> latestPerKey(Iterable<Change> changes) {
    Map<String, Change> latest = new TreeMap<>();
    for (Change c : changes) {
      latest.merge(c.key(), c, (a, b) -> b.sequence().compareTo(a.sequence()) > 0 ? b : a);
    }
    Map<String, String> result = new TreeMap<>();
    latest.forEach((key, c) -> result.put(key, c.op() == ChangeOp.DELETE ? "DELETE" : "UPSERT " + c.rowJson()));
    return result;
  }

  /** The target before the run: rows 1 to 3 as first read, and 7, which no change of the run names. */
  private static final class TargetRows implements TargetKeys {
    @Override
    public void forEachRow(TargetTable table, Consumer<Change> row) {
      for (int id : new int[] {1, 2, 3, 7}) {
        row.accept(new Change(table.name(), ChangeOp.UPSERT, "[" + id + "]", Sequence.of(1),
            "\"id\":" + id + ",\"note\":\"held\""));
      }
    }

    @Override
    public void forEachKeyRecord(TargetTable table, Consumer<Change> record) {
      forEachRow(table, record);
    }
  }
}
