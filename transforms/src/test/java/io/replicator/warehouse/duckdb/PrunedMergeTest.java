package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replicator.change.Change;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.merge.PartitionBounds;
import io.replicator.merge.TableLayout;
import io.replicator.source.NativeChangeDecoder;
import io.replicator.warehouse.spi.WarehouseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The partition-pruned MERGE the BigQuery target runs, executed on DuckDB: restricted to the
 * batch's partition bounds it leaves exactly the table the unrestricted MERGE leaves, through
 * inserts, updates, deletes, replays and re-inserts, as long as a key cannot change partition.
 */
public class PrunedMergeTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private static final ObjectMapper JSON = new ObjectMapper();
  private int prunedBatches;

  private static final TableSchema KEYED_BY_DAY = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"day\",\"type\":\"DATE\",\"mode\":\"REQUIRED\"},"
          + "{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id", "day"));
  private static final TableSchema KEYED_BY_ID = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"day\",\"type\":\"DATE\"},"
          + "{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id"));

  /** The bounds the BigQuery target computes from a loaded batch: none when a row has no day. */
  private static PartitionBounds bounds(Path stagedFile) throws Exception {
    String low = null;
    String high = null;
    for (String line : Files.readAllLines(stagedFile)) {
      JsonNode day = JSON.readTree(line).get("day");
      if (day == null || day.isNull()) {
        return null;
      }
      low = low == null || day.asText().compareTo(low) < 0 ? day.asText() : low;
      high = high == null || day.asText().compareTo(high) > 0 ? day.asText() : high;
    }
    return new PartitionBounds("day", ColumnType.DATE, low, high);
  }

  /** Random batches over 40 keys spread across 20 days: every kind of change, replays included. */
  private static List<List<String>> history(Random random, boolean dayMoves) {
    List<List<String>> batches = new ArrayList<>();
    String[] dayOf = new String[40];
    long seq = 0;
    for (int b = 0; b < 20; b++) {
      List<String> lines = new ArrayList<>();
      int size = 1 + random.nextInt(8);
      for (int i = 0; i < size; i++) {
        int id = random.nextInt(40);
        if (dayOf[id] == null || (dayMoves && random.nextInt(3) == 0)) {
          dayOf[id] = String.format("2024-05-%02d", 1 + random.nextInt(20));
        }
        int roll = random.nextInt(10);
        String op = roll < 6 ? "UPDATE" : roll < 9 ? "DELETE" : "UPDATE";
        long s = roll == 9 && seq > 5 ? seq - 1 - random.nextInt(5) : ++seq; // roll 9: a replayed old change
        lines.add("{\"id\":" + id + ",\"day\":\"" + dayOf[id] + "\",\"v\":\"v" + s + "\",\"_op\":\"" + op
            + "\",\"_sequence_num\":" + s + "}");
      }
      batches.add(lines);
    }
    return batches;
  }

  /** Applies every batch to two databases, pruned and not; returns both tables after each batch. */
  private List<List<String>[]> applyBoth(TargetTable table, List<List<String>> batches) throws Exception {
    Path dir = tmp.newFolder().toPath();
    List<List<String>[]> states = new ArrayList<>();
    try (DuckDbWarehouse pruned = DuckDbWarehouse.open(dir.resolve("pruned.duckdb"));
        DuckDbWarehouse whole = DuckDbWarehouse.open(dir.resolve("whole.duckdb"))) {
      pruned.ensureTables(table);
      whole.ensureTables(table);
      NativeChangeDecoder decoder = new NativeChangeDecoder(table.name(), table.schema());
      int n = 0;
      for (List<String> lines : batches) {
        List<Change> changes = new ArrayList<>();
        for (String line : lines) {
          decoder.decode(line, changes::add);
        }
        Path batchDir = Files.createDirectories(dir.resolve("b" + (n++)));
        StagedBatch staged = DuckDbWarehouseTest.stage(batchDir, table.name(), changes);
        Path copy = batchDir.resolve("copy.jsonl");
        Files.copy(Path.of(staged.file()), copy);
        PartitionBounds bounds = bounds(copy);
        prunedBatches += bounds == null ? 0 : 1;
        pruned.merge(table, staged, bounds);
        whole.merge(table, new StagedBatch(staged.table(), staged.batchId(), copy.toString(), staged.rows(),
            staged.bytes(), staged.sequenceWidth()));
        @SuppressWarnings("unchecked")
        List<String>[] state = new List[] {everything(pruned, table), everything(whole, table)};
        states.add(state);
      }
    }
    return states;
  }

  private static List<String> everything(DuckDbWarehouse w, TargetTable table) throws Exception {
    List<String> all = new ArrayList<>(DuckDbWarehouseTest.rows(w, "SELECT * EXCLUDE (v) , v FROM " + table.name() + " ORDER BY ALL"));
    if (table.deleteMode() == DeleteMode.HARD) {
      all.add("-- tombstones");
      all.addAll(DuckDbWarehouseTest.rows(w, "SELECT * FROM _deleted_" + table.name() + " ORDER BY ALL"));
    }
    return all;
  }

  @Test
  public void aPrunedMergeLeavesTheSameTableWhenThePartitionColumnIsInTheKey() throws Exception {
    for (DeleteMode mode : DeleteMode.values()) {
      for (long seed = 1; seed <= 3; seed++) {
        TargetTable table = new TargetTable("t", KEYED_BY_DAY, mode);
        assertTrue(new TableLayout("day", null, List.of(), false).prunesMerge(table.schema()));
        List<List<String>[]> states = applyBoth(table, history(new Random(seed), true));
        for (int i = 0; i < states.size(); i++) {
          assertEquals(mode + " seed " + seed + " after batch " + i, states.get(i)[1], states.get(i)[0]);
        }
        assertFalse(states.get(states.size() - 1)[1].isEmpty());
      }
    }
    assertEquals("every batch carries the day, so every merge was pruned", 2 * 3 * 20, prunedBatches);
  }

  @Test
  public void aPrunedMergeLeavesTheSameTableWhenNoKeyChangesPartition() throws Exception {
    for (DeleteMode mode : DeleteMode.values()) {
      TargetTable table = new TargetTable("t", KEYED_BY_ID, mode);
      List<List<String>[]> states = applyBoth(table, history(new Random(11), false));
      for (int i = 0; i < states.size(); i++) {
        assertEquals(mode + " after batch " + i, states.get(i)[1], states.get(i)[0]);
      }
    }
    assertTrue("batches without deletes are pruned: " + prunedBatches, prunedBatches >= 5);
  }

  /** Why pruning needs the promise: a key whose row moved partition is inserted a second time. */
  @Test
  public void withoutThePromiseAPrunedMergeWouldDuplicateKeysSoItIsNotUsed() throws Exception {
    TargetTable table = new TargetTable("t", KEYED_BY_ID, DeleteMode.SOFT);
    assertFalse(new TableLayout("day", null, List.of(), false).prunesMerge(table.schema()));
    assertTrue(new TableLayout("day", null, List.of(), true).prunesMerge(table.schema()));
    try {
      List<List<String>[]> states = applyBoth(table, history(new Random(11), true));
      List<String>[] last = states.get(states.size() - 1);
      assertNotEquals(last[1], last[0]);
    } catch (WarehouseException e) {
      // Or the key, now twice in the target, makes a later MERGE fail.
      assertTrue(e.getMessage(), e.getMessage().contains("more than once"));
    }
  }
}
