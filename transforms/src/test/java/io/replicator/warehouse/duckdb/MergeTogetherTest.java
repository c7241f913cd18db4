package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.MergedBatches;
import io.replicator.warehouse.spi.WarehouseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A bounded run's batches merged together, as one change set per transaction, leave what merging
 * them one at a time leaves: the same rows, tombstones, counts and partial rows without a base, over
 * rounds of random batches (new and known keys, deletes of keys never seen, replays, wider sequences,
 * partial rows). Batches applied before are skipped and counted, and groups past the size bound are
 * merged in transactions of their own.
 */
public class MergeTogetherTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final TargetTable HARD = RandomChanges.HARD;
  private static final TargetTable SOFT = RandomChanges.SOFT;

  private DuckDbWarehouse together;
  private DuckDbWarehouse oneByOne;

  @Before
  public void open() {
    together = RandomChanges.open(tmp.getRoot().toPath().resolve("together.duckdb"));
    oneByOne = RandomChanges.open(tmp.getRoot().toPath().resolve("one-by-one.duckdb"));
  }

  @After
  public void close() {
    together.close();
    oneByOne.close();
  }

  @Test
  public void hardDeletes() throws Exception {
    applyBothWays(HARD, 11);
    String tombstones = "SELECT * FROM _deleted_hard ORDER BY id";
    assertEquals(DuckDbWarehouseTest.rows(oneByOne, tombstones), DuckDbWarehouseTest.rows(together, tombstones));
  }

  @Test
  public void softDeletes() throws Exception {
    applyBothWays(SOFT, 12);
  }

  @Test
  public void batchesAppliedBeforeAreSkippedAndTheRestMergedTogether() throws Exception {
    Random random = new Random(13);
    List<StagedBatch> batches = batches(HARD, random, new HashSet<>(), new int[1], 4, 0);
    together.merge(HARD, batches.get(1));
    List<MergedBatches> merges = together.mergeTogether(HARD, batches);
    assertEquals(1, merges.size());
    assertEquals(3, merges.get(0).applied());
    assertEquals(1, merges.get(0).skipped());
    assertEquals(batches.stream().mapToLong(StagedBatch::rows).sum() - batches.get(1).rows(),
        merges.get(0).merged().rows());

    MergedBatches again = together.mergeTogether(HARD, batches).get(0);
    assertEquals(0, again.applied());
    assertEquals(4, again.skipped());
    assertTrue(again.merged().alreadyApplied());
    assertEquals(List.of("4"), DuckDbWarehouseTest.rows(together, "SELECT COUNT(*) FROM _replicator_batches"));
  }

  @Test
  public void aGroupThatCannotBeLoadedWholeChangesNothing() throws Exception {
    Random random = new Random(15);
    for (StagedBatch b : batches(HARD, random, new HashSet<>(), new int[1], 3, 0)) {
      together.merge(HARD, b);
    }
    String all = "SELECT * FROM hard ORDER BY id";
    List<String> before = DuckDbWarehouseTest.rows(together, all);
    List<String> tombstones = DuckDbWarehouseTest.rows(together, "SELECT * FROM _deleted_hard ORDER BY id");
    List<StagedBatch> batches = batches(HARD, random, new HashSet<>(), new int[] {0}, 4, 1);
    // The third batch's file holds a line that is not JSON: the group fails after the others loaded.
    java.nio.file.Files.writeString(java.nio.file.Path.of(batches.get(2).file()), "{\"id\":1,\"select\n");
    WarehouseException e = assertThrows(WarehouseException.class, () -> together.mergeTogether(HARD, batches));
    assertTrue(e.getMessage(), e.getMessage().startsWith("merging 4 batches into hard failed: "));
    assertEquals(before, DuckDbWarehouseTest.rows(together, all));
    assertEquals(tombstones, DuckDbWarehouseTest.rows(together, "SELECT * FROM _deleted_hard ORDER BY id"));
    assertEquals(List.of("3"), DuckDbWarehouseTest.rows(together, "SELECT COUNT(*) FROM _replicator_batches"));
  }

  @Test
  public void batchesPastTheSizeBoundAreMergedInTransactionsOfTheirOwn() throws Exception {
    Random random = new Random(14);
    List<StagedBatch> batches = new ArrayList<>();
    for (StagedBatch b : batches(SOFT, random, new HashSet<>(), new int[1], 3, 0)) {
      // Declared larger than they are: two of them pass the bound together.
      batches.add(new StagedBatch(b.table(), b.batchId(), b.file(), b.rows(), DuckDbWarehouse.MERGE_TOGETHER_BYTES / 2 + 1,
          b.sequenceWidth(), b.partialRows(), b.longestLine()));
    }
    List<MergedBatches> merges = together.mergeTogether(SOFT, batches);
    assertEquals(3, merges.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(1, merges.get(i).applied());
      assertEquals(batches.get(i).rows(), merges.get(i).merged().rows());
      oneByOne.merge(SOFT, batches.get(i));
    }
    String all = "SELECT * FROM soft ORDER BY id";
    assertEquals(DuckDbWarehouseTest.rows(oneByOne, all), DuckDbWarehouseTest.rows(together, all));
  }

  /** Applies 25 rounds of up to five batches to both targets, checking each round's counts and rows. */
  private void applyBothWays(TargetTable table, long seed) throws Exception {
    Random random = new Random(seed);
    Set<Integer> seen = new HashSet<>();
    int[] nextKey = {0};
    int merged = 0;
    int appended = 0;
    int partial = 0;
    for (int round = 0; round < 25; round++) {
      List<StagedBatch> batches = batches(table, random, seen, nextKey, 1 + random.nextInt(5), round);
      long[] expected = new long[4];
      Set<String> expectedWithoutBase = new TreeSet<>();
      for (StagedBatch b : batches) {
        MergeResult r = oneByOne.merge(table, b);
        expected[0] += r.inserted();
        expected[1] += r.updated();
        expected[2] += r.deleted();
        expected[3] += r.ignored();
        expectedWithoutBase.addAll(r.partialWithoutBase());
        partial += b.partialRows() > 0 ? 1 : 0;
      }
      List<MergedBatches> merges = together.mergeTogether(table, batches);
      assertEquals("round " + round, 1, merges.size());
      MergeResult r = merges.get(0).merged();
      assertEquals("round " + round, batches.size(), merges.get(0).applied());
      assertEquals("round " + round, 0, merges.get(0).skipped());
      assertEquals("round " + round + ": inserted, updated, deleted, ignored", List.of(expected[0], expected[1],
          expected[2], expected[3]), List.of(r.inserted(), r.updated(), r.deleted(), r.ignored()));
      assertEquals("round " + round, expectedWithoutBase, new TreeSet<>(r.partialWithoutBase()));
      String all = "SELECT * FROM " + table.name() + " ORDER BY id";
      assertEquals("round " + round, DuckDbWarehouseTest.rows(oneByOne, all), DuckDbWarehouseTest.rows(together, all));
      if (r.updated() + r.deleted() + r.ignored() == 0 && r.partialWithoutBase().isEmpty()) {
        appended++;
      } else {
        merged++;
      }
    }
    assertTrue("rounds of new keys only: " + appended, appended >= 3);
    assertTrue("rounds that matched known keys: " + merged, merged >= 10);
    assertTrue("batches with partial rows: " + partial, partial >= 5);
  }

  /**
   * {@code count} staged batches no two of which share a key, of new keys only now and then, else
   * of new and known ones; now and then a replay of an old position, two sequence parts, or an
   * UPSERT leaving {@code select} out.
   */
  private List<StagedBatch> batches(TargetTable table, Random random, Set<Integer> seen, int[] nextKey, int count,
      int round) throws Exception {
    boolean onlyNew = random.nextInt(4) == 0;
    Set<Integer> keys = new HashSet<>();
    List<StagedBatch> batches = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      List<Change> changes = new ArrayList<>();
      int size = 1 + random.nextInt(20);
      for (int i = 0; i < size; i++) {
        int id = onlyNew || seen.isEmpty() || random.nextBoolean() ? nextKey[0]++ : random.nextInt(nextKey[0]);
        if (!keys.add(id)) {
          continue;
        }
        long seq = random.nextInt(8) == 0 ? 1 + random.nextInt(round + 1) : 100 + round;
        changes.add(RandomChanges.of(table, random, id, seq, !onlyNew));
      }
      if (!changes.isEmpty()) {
        batches.add(DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), table.name(), changes));
      }
    }
    seen.addAll(keys);
    return batches;
  }
}
