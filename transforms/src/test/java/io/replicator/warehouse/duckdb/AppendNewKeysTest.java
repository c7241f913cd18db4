package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A batch whose keys are all new to the target is appended instead of merged: the same batches
 * applied both ways, in random order of new and known keys, deletes of keys never seen, replays and
 * wider sequences, leave the same rows, tombstones and counts.
 */
public class AppendNewKeysTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final TargetTable HARD = RandomChanges.HARD;
  private static final TargetTable SOFT = RandomChanges.SOFT;

  private DuckDbWarehouse appending;
  private DuckDbWarehouse merging;

  @Before
  public void open() {
    appending = RandomChanges.open(tmp.getRoot().toPath().resolve("appending.duckdb"));
    merging = RandomChanges.open(tmp.getRoot().toPath().resolve("merging.duckdb"));
  }

  @After
  public void close() {
    appending.close();
    merging.close();
  }

  @Test
  public void hardDeletes() throws Exception {
    int appended = applyBothWays(HARD, 1);
    assertEquals(DuckDbWarehouseTest.rows(merging, "SELECT * FROM _deleted_hard ORDER BY id"),
        DuckDbWarehouseTest.rows(appending, "SELECT * FROM _deleted_hard ORDER BY id"));
    assertTrue("batches of new keys only: " + appended, appended >= 10);
  }

  @Test
  public void softDeletes() throws Exception {
    assertTrue(applyBothWays(SOFT, 2) >= 10);
  }

  /** Applies 60 random batches to both targets, checking each result; returns how many held only new keys. */
  private int applyBothWays(TargetTable table, long seed) throws Exception {
    Random random = new Random(seed);
    Set<Integer> seen = new HashSet<>();
    int nextKey = 0;
    int appendable = 0;
    for (int round = 0; round < 60; round++) {
      List<Change> changes = new ArrayList<>();
      Set<Integer> keys = new HashSet<>();
      boolean onlyNew = random.nextBoolean();
      int size = 1 + random.nextInt(20);
      for (int i = 0; i < size; i++) {
        int id = onlyNew || seen.isEmpty() || random.nextBoolean() ? nextKey++ : random.nextInt(nextKey);
        if (!keys.add(id)) {
          continue;
        }
        // Mostly newer than anything before; now and then a replay of an old position.
        changes.add(RandomChanges.of(table, random, id, random.nextInt(8) == 0 ? 1 + random.nextInt(round + 1)
            : 100 + round, false));
      }
      if (keys.stream().noneMatch(seen::contains)) {
        appendable++;
      }
      seen.addAll(keys);
      StagedBatch batch = DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), table.name(), changes);
      MergeResult viaAppend = appending.merge(table, batch, null, true);
      MergeResult viaMerge = merging.merge(table, batch, null, false);
      assertEquals("round " + round, viaMerge, viaAppend);
      String all = "SELECT * FROM " + table.name() + " ORDER BY id";
      assertEquals("round " + round, DuckDbWarehouseTest.rows(merging, all), DuckDbWarehouseTest.rows(appending, all));
    }
    return appendable;
  }
}
