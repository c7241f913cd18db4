package io.replicator.warehouse.duckdb;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import java.util.List;
import java.util.Random;

/**
 * The tables and random changes that differential tests of the DuckDB merge apply two ways: a
 * reserved word and a non-ASCII name among the columns, hard and soft deletes.
 */
final class RandomChanges {
  static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\","
      + "\"mode\":\"REQUIRED\"},{\"name\":\"select\",\"type\":\"STRING\"},{\"name\":\"größe\",\"type\":\"INT64\"}]",
      List.of("id"));
  static final TargetTable HARD = new TargetTable("hard", SCHEMA, DeleteMode.HARD);
  static final TargetTable SOFT = new TargetTable("soft", SCHEMA, DeleteMode.SOFT);
  private static final String[] VALUES = {"a", "é", "中文", "", "x y"};

  private RandomChanges() {}

  /** Opens a database at {@code file} with both tables. */
  static DuckDbWarehouse open(java.nio.file.Path file) {
    DuckDbWarehouse w = DuckDbWarehouse.open(file);
    w.ensureTables(HARD);
    w.ensureTables(SOFT);
    return w;
  }

  /**
   * A change of key {@code id}, mostly at {@code seq} and now and then two sequence parts there:
   * a fifth DELETEs, the rest UPSERT whole rows (a null, an empty or a non-ASCII value among them)
   * or, one in ten when {@code partial}, leave {@code select} out.
   */
  static Change of(TargetTable table, Random random, int id, long seq, boolean partial) {
    Sequence at = random.nextInt(6) == 0 ? Sequence.of(seq, 1 + random.nextInt(3)) : Sequence.of(seq);
    int kind = random.nextInt(10);
    if (kind < 2) {
      return new Change(table.name(), ChangeOp.DELETE, "[" + id + "]", at, "\"id\":" + id);
    }
    if (kind == 2 && partial) {
      return new Change(table.name(), ChangeOp.UPSERT, "[" + id + "]", at,
          "\"id\":" + id + ",\"größe\":" + random.nextInt(1000), "[\"select\"]");
    }
    return new Change(table.name(), ChangeOp.UPSERT, "[" + id + "]", at, "\"id\":" + id + ",\"select\":"
        + (random.nextInt(5) == 0 ? "null" : "\"" + VALUES[random.nextInt(VALUES.length)] + "\"")
        + ",\"größe\":" + random.nextInt(1000));
  }
}
