package io.replicator.replicate;

import static org.junit.Assert.assertEquals;

import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.InputFormat;
import io.replicator.source.ReadChanges;
import io.replicator.testing.DebeziumEvents;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The whole batch flow into a real DuckDB file, read element by element and reduced while read. */
public class ReplicateTableTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
      List.of("id"));
  private static final TargetTable TABLE = new TargetTable("t", SCHEMA, DeleteMode.HARD);

  private Path dir;
  private WarehouseSpec warehouse;

  @Before
  public void setUp() throws Exception {
    dir = tmp.getRoot().toPath();
    warehouse = WarehouseSpec.parse("duckdb:" + dir.resolve("w.duckdb"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      w.ensureTables(TABLE);
    }
    Files.writeString(dir.resolve("snapshot.jsonl"), "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n"
        + "{\"id\":3,\"v\":{\"not\":\"a string\"}}\n{\"id\":4,\"v\":\"d\"}\n", StandardCharsets.UTF_8);
    // Key 2 moves to 5 after the snapshot; key 4 is deleted; a replay of an old insert of 4.
    Files.writeString(dir.resolve("changes.jsonl"),
        "{\"id\":5,\"v\":\"b\",\"_op\":\"UPDATE\",\"_sequence_num\":12,\"_before_id\":2}\n"
            + "{\"id\":4,\"_op\":\"DELETE\",\"_sequence_num\":11}\n"
            + "{\"id\":4,\"v\":\"old\",\"_op\":\"INSERT\",\"_sequence_num\":3}\n", StandardCharsets.UTF_8);
  }

  private ReplicateTable flow() {
    return ReplicateTable.into(warehouse, TABLE).withStaging(dir.resolve("staging").toString())
        .withDeadLetters(dir.resolve("dead").toString())
        .withSnapshot(ReadChanges.from(dir.resolve("snapshot.jsonl").toString()).withFormat(InputFormat.SNAPSHOT_JSONL)
            .withTable("t").withSchema(SCHEMA).withSnapshotSequence(Sequence.of(10)))
        .withChanges(ReadChanges.from(dir.resolve("changes.jsonl").toString()).withTable("t").withSchema(SCHEMA));
  }

  private List<String> rows() throws Exception {
    List<String> out = new ArrayList<>();
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"));
        Statement st = w.connection().createStatement();
        ResultSet rs = st.executeQuery("SELECT id, v, _sequence_num FROM t ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getLong(3));
      }
    }
    return out;
  }

  @Test
  public void snapshotAndChangesEndAsTheSourceDid() throws Exception {
    p.apply(flow());
    p.run().waitUntilFinish();
    assertEquals(List.of("1|a|10", "5|b|12"), rows());
    try (var files = Files.list(dir.resolve("dead"))) {
      assertEquals("the object given for a STRING is a dead letter", 1,
          Files.readAllLines(files.findFirst().orElseThrow()).size());
    }
  }

  @Test
  public void aReloadReducedWhileReadKeepsTheRowOfItsRejectedLine() throws Exception {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb")); Statement st = w.connection().createStatement()) {
      st.execute("INSERT INTO t VALUES (3, 'kept', 1), (9, 'gone', 1)");
    }
    p.apply(flow().reducingWhileReading(2).replacing(10, 100));
    p.run().waitUntilFinish();
    assertEquals(List.of("1|a|10", "3|kept|1", "5|b|12"), rows());
  }

  /** Key 1 (from the snapshot) moves to 7 and on to 8, leaving v out each time; both read again. */
  private ReplicateTable flowWithPartialMoves() throws Exception {
    Files.writeString(dir.resolve("changes.jsonl"),
        "{\"id\":8,\"_op\":\"UPDATE\",\"_sequence_num\":14,\"_before_id\":7,\"_unchanged\":[\"v\"]}\n"
            + "{\"id\":7,\"_op\":\"UPDATE\",\"_sequence_num\":13,\"_before_id\":1,\"_unchanged\":[\"v\"]}\n",
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    return flow();
  }

  @Test
  public void partialKeyMovesReducedWhileReadTakeTheOldKeysValues() throws Exception {
    p.apply(flowWithPartialMoves().reducingWhileReading(4));
    p.run().waitUntilFinish();
    assertEquals(List.of("5|b|12", "8|a|14"), rows());
  }

  @Test
  public void partialKeyMovesSpilledTakeTheOldKeysValues() throws Exception {
    p.apply(flowWithPartialMoves().spillingWhileReading(4));
    p.run().waitUntilFinish();
    assertEquals(List.of("5|b|12", "8|a|14"), rows());
  }

  @Test
  public void aReloadWithPartialKeyMovesAppliesThemWithTheRestAsOneUnit() throws Exception {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb")); Statement st = w.connection().createStatement()) {
      st.execute("INSERT INTO t VALUES (3, 'kept', 1), (9, 'gone', 1)");
    }
    p.apply(flowWithPartialMoves().spillingWhileReading(4).replacing(10, 100));
    p.run().waitUntilFinish();
    assertEquals(List.of("3|kept|1", "5|b|12", "8|a|14"), rows());
  }

  /**
   * Debezium's default split of a key change whose new row leaves a TOASTed value out: a delete of 1
   * and a create of 9 at the same LSN, in different files; 1's insert in a third.
   */
  private ReplicateTable flowWithSplitKeyChange() throws Exception {
    String p = "\"__debezium_unavailable_value\"";
    Path events = Files.createDirectories(dir.resolve("events"));
    Files.writeString(events.resolve("c.jsonl"), DebeziumEvents.postgres("t", "c", "null", "{\"id\":9,\"v\":" + p + "}",
        200, 205, 0) + "\n");
    Files.writeString(events.resolve("d.jsonl"), DebeziumEvents.postgres("t", "d", "{\"id\":1}", "null", 200, 205, 0)
        + "\n");
    Files.writeString(events.resolve("i.jsonl"), DebeziumEvents.postgres("t", "c", "null", "{\"id\":1,\"v\":\"a\"}",
        100, 100, 0) + "\n" + DebeziumEvents.postgres("t", "c", "null", "{\"id\":2,\"v\":\"b\"}", 100, 101, 0) + "\n");
    return ReplicateTable.into(warehouse, TABLE).withStaging(dir.resolve("staging").toString())
        .withDeadLetters(dir.resolve("dead").toString())
        .withChanges(ReadChanges.from(events + "/*.jsonl").withFormat(InputFormat.DEBEZIUM).withTable("t")
            .withSchema(SCHEMA));
  }

  @Test
  public void keyChangesSplitByTheConnectorReducedWhileReadTakeTheOldKeysValues() throws Exception {
    p.apply(flowWithSplitKeyChange().reducingWhileReading(4));
    p.run().waitUntilFinish();
    assertEquals(List.of("2|b|100", "9|a|200"), rows());
  }

  @Test
  public void keyChangesSplitByTheConnectorSpilledTakeTheOldKeysValues() throws Exception {
    p.apply(flowWithSplitKeyChange().spillingWhileReading(4));
    p.run().waitUntilFinish();
    assertEquals(List.of("2|b|100", "9|a|200"), rows());
  }
}
