package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.batch.LatestPerKey;
import io.replicator.batch.StageBatches;
import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.ChangeOp;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.testing.SqlRows;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Reload;
import io.replicator.warehouse.spi.ReloadRefusedException;
import io.replicator.warehouse.spi.ReloadResult;
import io.replicator.warehouse.spi.Warehouse;
import io.replicator.warehouse.spi.WarehouseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The merge semantics, executed on a real embedded DuckDB file. */
public class DuckDbWarehouseTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id"));
  private static final TargetTable HARD = new TargetTable("t", SCHEMA, DeleteMode.HARD);
  private static final TargetTable SOFT = new TargetTable("s", SCHEMA, DeleteMode.SOFT);

  private DuckDbWarehouse w;

  @Before
  public void open() {
    w = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"));
    w.ensureTables(HARD);
    w.ensureTables(SOFT);
  }

  @After
  public void close() {
    w.close();
  }

  static Change up(TargetTable t, int id, String v, long... seq) {
    return new Change(t.name(), ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq), "\"id\":" + id + ",\"v\":\"" + v + "\"");
  }

  static Change del(TargetTable t, int id, long... seq) {
    return new Change(t.name(), ChangeOp.DELETE, "[" + id + "]", Sequence.of(seq), "\"id\":" + id);
  }

  /** Stages changes as StageBatches does: latest per key, one JSONL file. */
  public static StagedBatch stage(Path dir, String table, List<Change> changes) throws IOException {
    return StageBatches.write(dir.toString(), table, LatestPerKey.of(changes));
  }

  private MergeResult merge(TargetTable t, Change... changes) throws IOException {
    return w.merge(t, stage(tmp.getRoot().toPath(), t.name(), List.of(changes)));
  }

  static List<String> rows(DuckDbWarehouse w, String sql) throws SQLException {
    return SqlRows.of(w.connection(), sql);
  }

  @Test
  public void insertUpdateDeleteAndCounts() throws Exception {
    MergeResult r = merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1), up(HARD, 3, "c", 1));
    assertEquals(3, r.inserted());
    r = merge(HARD, up(HARD, 1, "a2", 2), del(HARD, 2, 2), del(HARD, 9, 2));
    assertEquals(1, r.updated());
    assertEquals(1, r.deleted());
    assertEquals(0, r.ignored());
    assertEquals(List.of("1|a2|2", "3|c|1"), rows(w, "SELECT * FROM t ORDER BY id"));
    assertEquals(List.of("2|2", "9|2"), rows(w, "SELECT * FROM _deleted_t ORDER BY id"));
    // Staged rows live in a temporary table: nothing of them is left in the file.
    assertEquals(List.of("0"), rows(w, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '_stag%'"));
  }

  @Test
  public void aBatchOfLongRowsLoadsWithItsReaderSizedToTheLongestLine() throws Exception {
    // A 3 MB row beside small ones: DuckDB's reader takes objects up to the batch's longest line.
    String big = "é".repeat(1_500_000);
    StagedBatch b = stage(tmp.getRoot().toPath(), "t", List.of(up(HARD, 1, big, 1), up(HARD, 2, "b", 1)));
    assertTrue(b.longestLine() > 3_000_000);
    assertEquals(2, w.merge(HARD, b).inserted());
    assertEquals(List.of("1|3000000", "2|1"), rows(w, "SELECT id, strlen(v) FROM t ORDER BY id"));
  }

  @Test
  public void oldChangesAreIgnoredAndDeletedKeysStayDeleted() throws Exception {
    merge(HARD, up(HARD, 1, "new", 5), del(HARD, 2, 5));
    MergeResult r = merge(HARD, up(HARD, 1, "old", 3), up(HARD, 2, "revived?", 4), up(HARD, 3, "x", 4));
    assertEquals(2, r.ignored());
    assertEquals(1, r.inserted());
    assertEquals(List.of("1|new|5", "3|x|4"), rows(w, "SELECT * FROM t ORDER BY id"));
    // An equal sequence is a replay too.
    assertEquals(1, merge(HARD, up(HARD, 1, "same seq", 5)).ignored());
    // A newer insert brings the key back and clears its tombstone.
    assertEquals(1, merge(HARD, up(HARD, 2, "back", 6)).inserted());
    assertEquals(List.of(), rows(w, "SELECT * FROM _deleted_t"));
  }

  @Test
  public void aBatchAppliedOnceIsSkipped() throws Exception {
    StagedBatch b = stage(tmp.getRoot().toPath(), "t", List.of(up(HARD, 1, "a", 1)));
    assertFalse(w.merge(HARD, b).alreadyApplied());
    MergeResult again = w.merge(HARD, b);
    assertTrue(again.alreadyApplied());
    assertEquals(List.of("1"), rows(w, "SELECT COUNT(*) FROM _replicator_batches"));
  }

  @Test
  public void aFailedMergeLeavesNothingBehind() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1));
    Path bad = tmp.newFile("bad.jsonl").toPath();
    Files.writeString(bad, "{\"id\":2,\"v\":\"b\",\"_op\":\"UPSERT\",\"_sequence_num\":2,\"_batch_id\":\"bad0000000000000\"}\n"
        + "{\"id\":\"not a number\",\"_op\":\"UPSERT\",\"_sequence_num\":2,\"_batch_id\":\"bad0000000000000\"}\n");
    StagedBatch batch = new StagedBatch("t", "bad0000000000000", bad.toString(), 2, 100, 1);
    WarehouseException e = assertThrows(WarehouseException.class, () -> w.merge(HARD, batch));
    assertTrue(e.getMessage(), e.getMessage().startsWith("merging batch bad0000000000000 into t failed"));
    assertEquals(List.of("1|a|1"), rows(w, "SELECT * FROM t"));
    // Staged rows live in a temporary table: nothing of them is left in the file.
    assertEquals(List.of("0"), rows(w, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '_stag%'"));
    assertEquals(List.of("1"), rows(w, "SELECT COUNT(*) FROM _replicator_batches"));
  }

  @Test
  public void softDeletesKeepTheRowAndTheSequence() throws Exception {
    merge(SOFT, up(SOFT, 1, "a", 1), up(SOFT, 2, "b", 1));
    MergeResult r = merge(SOFT, del(SOFT, 1, 2), del(SOFT, 7, 2));
    assertEquals(1, r.deleted());
    assertEquals(List.of("1|a|2|true", "2|b|1|false", "7|null|2|true"), rows(w, "SELECT * FROM s ORDER BY id"));
    assertEquals(2, merge(SOFT, up(SOFT, 1, "old", 1), up(SOFT, 7, "old", 1)).ignored());
    r = merge(SOFT, up(SOFT, 1, "again", 3));
    assertEquals("a deleted row coming back counts as inserted", 1, r.inserted());
    assertEquals(List.of("1|again|3|false"), rows(w, "SELECT * FROM s WHERE id = 1"));
  }

  @Test
  public void sequencesWidenWhenASourceNeedsMoreParts() throws Exception {
    merge(HARD, up(HARD, 1, "a", 5));
    merge(HARD, up(HARD, 1, "b", 5, 2), up(HARD, 2, "c", 5, 1), del(HARD, 3, 5, 1));
    assertEquals(List.of("1|b|5|2", "2|c|5|1"), rows(w, "SELECT * FROM t ORDER BY id"));
    assertEquals(1, merge(HARD, up(HARD, 1, "older", 5, 1)).ignored());
    assertEquals(1, merge(HARD, up(HARD, 3, "older", 4, 9)).ignored());
    assertEquals(1, merge(HARD, up(HARD, 1, "newer", 6)).updated());
    assertEquals(List.of("1|newer|6|0"), rows(w, "SELECT * FROM t WHERE id = 1"));
  }

  /** Applies a reload at {@code sequence} whose changes are staged in one batch per change. */
  private ReloadResult reload(TargetTable t, Reload reload, Change... changes) throws IOException {
    List<StagedBatch> batches = new ArrayList<>();
    for (Change c : changes) {
      batches.add(stage(tmp.getRoot().toPath(), t.name(), List.of(c)));
    }
    return w.applyReload(t, batches, reload);
  }

  private static Reload at(long sequence, double maxDeletePercent) {
    return new Reload(sequence, maxDeletePercent, null, true);
  }

  @Test
  public void reloadRemovesOlderRowsAndRemembersThem() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1), up(HARD, 3, "c", 1), up(HARD, 4, "d", 1));
    // The reload at 10 has keys 1..3; key 3 changed after the reload (seq 11).
    ReloadResult r = reload(HARD, at(10, 50), up(HARD, 1, "a", 10), up(HARD, 2, "b", 10), up(HARD, 3, "c2", 11));
    assertEquals(1, r.removed());
    assertEquals(3, r.batches());
    assertEquals(3, r.merged().updated());
    assertEquals(List.of("1|a|10", "2|b|10", "3|c2|11"), rows(w, "SELECT * FROM t ORDER BY id"));
    assertEquals(List.of("4|10"), rows(w, "SELECT * FROM _deleted_t"));
    // Staged rows live in a temporary table: nothing of them is left in the file.
    assertEquals(List.of("0"), rows(w, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '_stag%'"));
    assertEquals(1, merge(HARD, up(HARD, 4, "replayed", 2)).ignored());
  }

  @Test
  public void aRefusedReloadLeavesTheTableExactlyAsItWas() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1), up(HARD, 3, "c", 1));
    List<String> before = rows(w, "SELECT * FROM t ORDER BY id");
    // A partial export: one row, with a new value, and a new key.
    ReloadRefusedException e = assertThrows(ReloadRefusedException.class,
        () -> reload(HARD, at(10, 40), up(HARD, 1, "wrong", 10), up(HARD, 9, "new", 10)));
    assertTrue(e.getMessage(), e.getMessage().contains("would remove 2 of its 4 live rows (50.0%)"));
    assertTrue(e.getMessage(), e.getMessage().contains("nothing of it was applied"));
    assertEquals(before, rows(w, "SELECT * FROM t ORDER BY id"));
    assertEquals(List.of(), rows(w, "SELECT * FROM _deleted_t"));
    assertEquals(List.of("1"), rows(w, "SELECT COUNT(*) FROM _replicator_batches"));
    // Staged rows live in a temporary table: nothing of them is left in the file.
    assertEquals(List.of("0"), rows(w, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '_stag%'"));
    // A correct reload then applies.
    ReloadResult r = reload(HARD, at(10, 40), up(HARD, 1, "a", 10), up(HARD, 2, "b", 10), up(HARD, 3, "c", 10));
    assertEquals(0, r.removed());
    assertEquals(List.of("1|a|10", "2|b|10", "3|c|10"), rows(w, "SELECT * FROM t ORDER BY id"));
  }

  @Test
  public void aReloadAppliedBeforeChangesNothing() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1));
    List<StagedBatch> batches = List.of(stage(tmp.getRoot().toPath(), "t", List.of(up(HARD, 1, "a", 10))));
    assertEquals(1, w.applyReload(HARD, batches, at(10, 100)).removed());
    // A row merged since with a sequence below the reload's would be removed by a second removal.
    merge(HARD, up(HARD, 5, "late", 7));
    ReloadResult again = w.applyReload(HARD, batches, at(10, 100));
    assertTrue(again.merged().alreadyApplied());
    assertEquals(List.of("1|a|10", "5|late|7"), rows(w, "SELECT * FROM t ORDER BY id"));
  }

  @Test
  public void anEmptyReloadRemovesEverythingItMay() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1));
    assertThrows(ReloadRefusedException.class, () -> w.applyReload(HARD, List.of(), at(10, 50)));
    assertEquals(List.of("2"), rows(w, "SELECT COUNT(*) FROM t"));
    assertEquals(2, w.applyReload(HARD, List.of(), at(10, 100)).removed());
    assertEquals(List.of("0"), rows(w, "SELECT COUNT(*) FROM t"));
  }

  @Test
  public void keptKeysStayThoughTheReloadLacksThem() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1), up(HARD, 3, "c", 1), up(HARD, 4, "d", 1));
    Path kept = tmp.newFile("kept.jsonl").toPath();
    // Key 2's line was rejected (and 7's, a key the table does not have).
    Files.writeString(kept, "{\"id\":2}\n{\"id\":7}\n");
    ReloadResult r = reload(HARD, new Reload(10, 50, kept.toString(), true), up(HARD, 1, "a", 10),
        up(HARD, 3, "c", 10));
    assertEquals(1, r.removed());
    assertEquals(1, r.kept());
    assertEquals(List.of("1|a|10", "2|b|1", "3|c|10"), rows(w, "SELECT * FROM t ORDER BY id"));
    assertEquals(List.of("4|10"), rows(w, "SELECT * FROM _deleted_t"));
  }

  @Test
  public void aReloadThatMayNotRemoveAppliesItsRowsOnly() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1), up(HARD, 2, "b", 1));
    w.startReload(HARD, "fingerprint", 10);
    ReloadResult r = reload(HARD, new Reload(10, 50, null, false), up(HARD, 1, "a2", 10));
    assertEquals(0, r.removed());
    assertEquals(1, r.merged().updated());
    assertEquals(List.of("1|a2|10", "2|b|1"), rows(w, "SELECT * FROM t ORDER BY id"));
    assertTrue("the reload is not over", w.pendingReload(HARD, "fingerprint").isPresent());
  }

  @Test
  public void softReloadMarksRowsDeleted() throws Exception {
    merge(SOFT, up(SOFT, 1, "a", 1), up(SOFT, 2, "b", 1));
    assertEquals(1, reload(SOFT, at(10, 50), up(SOFT, 1, "a", 10)).removed());
    assertEquals(List.of("1|a|10|false", "2|b|10|true"), rows(w, "SELECT * FROM s ORDER BY id"));
  }

  @Test
  public void aRunWithAnotherKeyIsRefusedNamingBoth() {
    TableSchema twoKeys = TableSchema.fromBigQueryJson(
        "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
        List.of("id", "v"));
    WarehouseException e = assertThrows(WarehouseException.class,
        () -> w.ensureTables(new TargetTable("t", twoKeys, DeleteMode.HARD)));
    assertTrue(e.getMessage(), e.getMessage().contains("created with key (id) and this run gives (id, v)"));
    TableSchema reordered = TableSchema.fromBigQueryJson(
        "[{\"name\":\"v\",\"type\":\"STRING\"},{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"}]",
        List.of("id"));
    w.ensureTables(new TargetTable("t", reordered, DeleteMode.HARD)); // Column order is no part of the key.
  }

  @Test
  public void aTableFromBeforeTheRecordHasItsKeyReadFromItsStructure() throws Exception {
    TableSchema twoKeys = TableSchema.fromBigQueryJson(
        "[{\"name\":\"k1\",\"type\":\"STRING\"},{\"name\":\"k2\",\"type\":\"DATE\"},"
            + "{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("k1", "k2"));
    w.ensureTables(new TargetTable("old_hard", twoKeys, DeleteMode.HARD));
    w.ensureTables(new TargetTable("old_soft", twoKeys, DeleteMode.SOFT));
    try (Statement st = w.connection().createStatement()) {
      st.execute("DELETE FROM _replicator_tables"); // As a table made before the record existed.
    }
    TableSchema oneKey = TableSchema.fromBigQueryJson(
        "[{\"name\":\"k1\",\"type\":\"STRING\"},{\"name\":\"k2\",\"type\":\"DATE\"},"
            + "{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("k1"));
    for (TargetTable t : List.of(new TargetTable("old_hard", oneKey, DeleteMode.HARD),
        new TargetTable("old_soft", oneKey, DeleteMode.SOFT))) {
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(t));
      assertTrue(e.getMessage(), e.getMessage().contains("created with key (k1, k2) and this run gives (k1)"));
    }
    w.ensureTables(new TargetTable("old_hard", twoKeys, DeleteMode.HARD));
    assertEquals(List.of("old_hard|[\"k1\",\"k2\"]|HARD"),
        rows(w, "SELECT table_name, key_columns, delete_mode FROM _replicator_tables"));
  }

  @Test
  public void aSchemaWithoutAColumnTheTableHasIsRefusedUnlessAStreamAddedIt() throws Exception {
    try (Statement st = w.connection().createStatement()) {
      st.execute("ALTER TABLE t ADD COLUMN extra VARCHAR");
    }
    WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(HARD));
    assertTrue(e.getMessage(), e.getMessage().contains("column 'extra' is in the table but not in the schema"));
    w.ensureTables(HARD, Warehouse.AddedColumns.ACCEPTED);
  }

  @Test
  public void theColumnsASchemaHasAndTheTargetLacksAreNamedWhateverTheirCase() {
    TableSchema wider = TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},"
        + "{\"name\":\"V\",\"type\":\"STRING\"},{\"name\":\"größe\",\"type\":\"INT64\"}]", List.of("id"));
    assertEquals(List.of("größe"), w.missingColumns(new TargetTable("t", wider, DeleteMode.HARD)).stream()
        .map(Column::name).toList());
    assertEquals(List.of(), w.missingColumns(HARD));
    assertEquals("no target yet: nothing to add", List.of(),
        w.missingColumns(new TargetTable("not_yet", wider, DeleteMode.HARD)));
  }

  @Test
  public void theRecordsOfAFewKeysAreReadWithoutTheRest() throws Exception {
    merge(HARD, up(HARD, 1, "a", 3), up(HARD, 2, "b", 3), del(HARD, 3, 4), up(HARD, 4, "it's", 5));
    merge(SOFT, up(SOFT, 1, "a", 3), up(SOFT, 2, "b", 3), del(SOFT, 2, 6));
    assertEquals(List.of("1|a @[3]", "3|null @[4] deleted"), records(HARD, List.of("1", "3", "9")));
    assertEquals(List.of("1|a @[3]", "2|b @[3]", "3|null @[4] deleted", "4|it's @[5]"), records(HARD, null));
    assertEquals(List.of("2|null @[6] deleted"), records(SOFT, List.of("2")));
    // A STRING key, with a quote in it: the value is bound, not spliced into the SQL.
    TableSchema byName = TableSchema.fromBigQueryJson(
        "[{\"name\":\"name\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
        List.of("name"));
    TargetTable named = new TargetTable("named", byName, DeleteMode.HARD);
    w.ensureTables(named);
    w.merge(named, stage(tmp.getRoot().toPath(), "named", List.of(
        new Change("named", ChangeOp.UPSERT, "[\"o'k\"]", Sequence.of(1), "\"name\":\"o'k\",\"v\":\"x\""),
        new Change("named", ChangeOp.UPSERT, "[\"other\"]", Sequence.of(1), "\"name\":\"other\",\"v\":\"y\""))));
    assertEquals(List.of("o'k|x @[1]"), records(named, List.of("o'k")));
  }

  private List<String> records(TargetTable table, List<String> firstKeys) {
    List<String> seen = new ArrayList<>();
    w.forEachKeyRecord(table, firstKeys, (values, sequence, deleted) -> seen.add(String.join("|",
        Arrays.stream(values).map(String::valueOf).toList()) + " @" + Arrays.toString(sequence)
        + (deleted ? " deleted" : "")));
    seen.sort(null);
    return seen;
  }

  @Test
  public void pendingReloadIsRememberedUntilItEnds() {
    w.startReload(HARD, "abc", 42);
    assertEquals(42, w.pendingReload(HARD, "abc").getAsLong());
    assertFalse(w.pendingReload(HARD, "other").isPresent());
    w.endReload(HARD);
    assertFalse(w.pendingReload(HARD, "abc").isPresent());
  }

  @Test
  public void maxSequenceIncludesTombstones() throws Exception {
    assertEquals(0, w.maxSequenceNum(HARD));
    merge(HARD, up(HARD, 1, "a", 3), del(HARD, 2, 8));
    assertEquals(8, w.maxSequenceNum(HARD));
  }

  @Test
  public void aDroppedTargetStartsAgainWithoutItsOldBookkeeping() throws Exception {
    StagedBatch b = stage(tmp.getRoot().toPath(), "t", List.of(up(HARD, 1, "a", 5), del(HARD, 2, 5)));
    w.merge(HARD, b);
    try (Statement st = w.connection().createStatement()) {
      st.execute("DROP TABLE t");
    }
    w.ensureTables(HARD);
    // The old tombstone of key 2 (sequence 5) no longer stands in the way.
    assertEquals(1, merge(HARD, up(HARD, 2, "new table", 1)).inserted());
    MergeResult again = w.merge(HARD, b);
    assertFalse("the batch applies to the new table", again.alreadyApplied());
    assertEquals(List.of("1|a|5"), rows(w, "SELECT * FROM t"));
  }

  @Test
  public void anExistingTableThatDisagreesWithTheSchemaIsNamed() throws Exception {
    try (Statement st = w.connection().createStatement()) {
      st.execute("CREATE TABLE other (id VARCHAR, \"_sequence_num\" BIGINT)");
    }
    TableSchema schema = TableSchema.fromBigQueryJson(
        "[{\"name\":\"id\",\"type\":\"INT64\"},{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id"));
    WarehouseException e = assertThrows(WarehouseException.class,
        () -> w.ensureTables(new TargetTable("other", schema, DeleteMode.HARD)));
    assertTrue(e.getMessage(), e.getMessage().contains("column 'id' is VARCHAR, the schema says INT64 (BIGINT); column 'v' is missing"));
  }

  static Change partial(TargetTable t, int id, String v, long seq) {
    return new Change(t.name(), ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq), "\"id\":" + id
        + (v == null ? "" : ",\"v\":\"" + v + "\""), v == null ? "[\"v\"]" : null);
  }

  @Test
  public void aPartialRowKeepsTheTargetsValueOfWhatItLeavesUnchanged() throws Exception {
    TableSchema wide = TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},"
        + "{\"name\":\"doc\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},{\"name\":\"n\",\"type\":\"INT64\"}]",
        List.of("id"));
    TargetTable t = new TargetTable("wide", wide, DeleteMode.HARD);
    w.ensureTables(t);
    merge(t, new Change("wide", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"doc\":\"long text\",\"id\":1,\"n\":5"),
        new Change("wide", ChangeOp.UPSERT, "[2]", Sequence.of(1), "\"doc\":\"other\",\"id\":2,\"n\":6"));
    // Key 1: n set to NULL, doc (REQUIRED) unchanged; key 3: no row to complete; key 2: an old replay.
    MergeResult r = merge(t,
        new Change("wide", ChangeOp.UPSERT, "[1]", Sequence.of(2), "\"id\":1", "[\"doc\"]"),
        new Change("wide", ChangeOp.UPSERT, "[3]", Sequence.of(2), "\"id\":3,\"n\":7", "[\"doc\"]"),
        new Change("wide", ChangeOp.UPSERT, "[2]", Sequence.of(1), "\"id\":2,\"n\":0", "[\"doc\"]"));
    assertEquals(1, r.updated());
    assertEquals(0, r.inserted());
    assertEquals(1, r.ignored());
    assertEquals(1, r.partialWithoutBase().size());
    assertTrue(r.partialWithoutBase().get(0), r.partialWithoutBase().get(0).contains("\"id\":3")
        && r.partialWithoutBase().get(0).contains("\"_unchanged\":[\"doc\"]"));
    assertEquals(List.of("1|long text|null|2", "2|other|6|1"), rows(w, "SELECT * FROM wide ORDER BY id"));
  }

  @Test
  public void aPartialRowFindsNoBaseInADeletedRow() throws Exception {
    merge(SOFT, up(SOFT, 1, "a", 1));
    merge(SOFT, del(SOFT, 1, 2));
    MergeResult r = merge(SOFT, partial(SOFT, 1, null, 3));
    assertEquals(1, r.partialWithoutBase().size());
    assertEquals(List.of("1|a|2|true"), rows(w, "SELECT * FROM s"));
    merge(HARD, up(HARD, 1, "a", 1), del(HARD, 1, 2));
    assertEquals(1, merge(HARD, partial(HARD, 1, null, 3)).partialWithoutBase().size());
    assertEquals(List.of(), rows(w, "SELECT * FROM t"));
  }

  /** A row {@code id|a|b} of three STRING-ish columns; {@code unchanged} names those left out. */
  private static Change wide3(int id, String a, String b, long seq, String unchanged) {
    return new Change("w3", ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq), "\"id\":" + id
        + (a == null ? "" : ",\"a\":\"" + a + "\"") + (b == null ? "" : ",\"b\":\"" + b + "\""), unchanged);
  }

  @Test
  public void aReplayMixedWithNewPartialChangesTakesFromTheTargetWhatItAlreadyHolds() throws Exception {
    TargetTable t = new TargetTable("w3", TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\"},"
        + "{\"name\":\"a\",\"type\":\"STRING\"},{\"name\":\"b\",\"type\":\"STRING\"}]", List.of("id")),
        DeleteMode.HARD);
    w.ensureTables(t);
    Change insert = wide3(1, "a1", "b1", 1, null);
    Change setsA = wide3(1, "a2", null, 2, "[\"b\"]");
    Change setsAAgain = wide3(1, "a3", null, 3, "[\"b\"]");
    Change setsB = wide3(1, null, "b4", 4, "[\"a\"]");
    merge(t, insert, setsA, setsAAgain);
    assertEquals(List.of("1|a3|b1|3"), rows(w, "SELECT * FROM w3"));
    // The insert and the first update come again (a replay), with a new change that sets b only:
    // a comes from the target (a3), not from the replayed a2.
    MergeResult r = merge(t, insert, setsA, setsB);
    assertEquals(List.of("1|a3|b4|4"), rows(w, "SELECT * FROM w3"));
    assertEquals(1, r.updated());
    assertEquals(2, r.ignored()); // The replayed insert and update.
    assertEquals(List.of(), r.partialWithoutBase());
    // All of it again: nothing newer, all ignored.
    r = merge(t, insert, setsA, setsAAgain, setsB);
    assertEquals(4, r.ignored());
    assertEquals(List.of("1|a3|b4|4"), rows(w, "SELECT * FROM w3"));
  }

  @Test
  public void aPartialChangeAfterADeleteInItsBatchHasNoBase() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1));
    MergeResult r = merge(HARD, del(HARD, 1, 2), partial(HARD, 1, null, 3));
    assertEquals(1, r.partialWithoutBase().size());
    assertEquals(List.of("1|a|1"), rows(w, "SELECT * FROM t"));
  }

  @Test
  public void aReloadWithPartialChangesCompletesThemOrReportsThem() throws Exception {
    merge(HARD, up(HARD, 1, "a", 1));
    // Key 1's batch: the reload's row, then a partial change over it; key 2's: a partial change alone.
    List<StagedBatch> batches = List.of(
        stage(tmp.getRoot().toPath(), "t", List.of(up(HARD, 1, "b", 5), partial(HARD, 1, null, 6))),
        stage(tmp.getRoot().toPath(), "t", List.of(partial(HARD, 2, null, 6))));
    ReloadResult r = w.applyReload(HARD, batches, at(5, 100));
    assertEquals(List.of("1|b|6"), rows(w, "SELECT * FROM t"));
    assertEquals(1, r.merged().partialWithoutBase().size());
  }

  /** Columns named like the aliases the statements use (s, t, d, e, n, f): whole and partial rows, both delete modes. */
  @Test
  public void columnsNamedLikeTheStatementsAliases() throws Exception {
    TableSchema schema = TableSchema.fromBigQueryJson("[{\"name\":\"n\",\"type\":\"INT64\"},{\"name\":\"t\",\"type\":\"STRING\"},"
        + "{\"name\":\"s\",\"type\":\"STRING\"},{\"name\":\"e\",\"type\":\"STRING\"},{\"name\":\"d\",\"type\":\"STRING\"},"
        + "{\"name\":\"f\",\"type\":\"STRING\"}]", List.of("n"));
    for (DeleteMode mode : DeleteMode.values()) {
      TargetTable t = new TargetTable("aliases_" + mode, schema, mode);
      w.ensureTables(t);
      merge(t, new Change(t.name(), ChangeOp.UPSERT, "[1]", Sequence.of(1),
          "\"d\":\"d1\",\"e\":\"e1\",\"f\":\"f1\",\"n\":1,\"s\":\"s1\",\"t\":\"t1\""));
      merge(t, new Change(t.name(), ChangeOp.UPSERT, "[1]", Sequence.of(2), "\"n\":1,\"t\":\"t2\"",
          "[\"d\",\"e\",\"f\",\"s\"]"), new Change(t.name(), ChangeOp.UPSERT, "[1]", Sequence.of(3),
          "\"e\":\"e3\",\"n\":1", "[\"d\",\"f\",\"s\",\"t\"]"));
      assertEquals(List.of("1|t2|s1|e3|d1|f1"), rows(w, "SELECT n, t, s, e, d, f FROM \"" + t.name() + "\""));
    }
  }

  @Test
  public void hostileIdentifiersWorkEndToEnd() throws Exception {
    TableSchema schema = TableSchema.fromBigQueryJson(
        "[{\"name\":\"select\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"na\\\"me\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},"
            + "{\"name\":\"설명\",\"type\":\"BYTES\"},{\"name\":\"from\",\"type\":\"STRING\"}]", List.of("select", "na\"me"));
    TargetTable t = new TargetTable("order\"s 테이블", schema, DeleteMode.HARD);
    w.ensureTables(t);
    Change a = new Change(t.name(), ChangeOp.UPSERT, "[1,\"k'ey\"]", Sequence.of(1),
        "\"select\":1,\"na\\\"me\":\"k'ey\",\"설명\":\"AAEC/w==\",\"from\":\"탭\\t\\\"따옴표\\\" \\\\ '; DROP TABLE x; --\"");
    Change b = new Change(t.name(), ChangeOp.DELETE, "[2,\"z\"]", Sequence.of(1), "\"select\":2,\"na\\\"me\":\"z\"");
    assertEquals(1, w.merge(t, stage(tmp.getRoot().toPath(), "hostile", List.of(a, b))).inserted());
    assertEquals(List.of("1|k'ey|000102FF|탭\t\"따옴표\" \\ '; DROP TABLE x; --|1"),
        rows(w, "SELECT \"select\", \"na\"\"me\", upper(hex(\"설명\")), \"from\", _sequence_num FROM \"order\"\"s 테이블\""));
    assertEquals(List.of("2|z"), rows(w, "SELECT \"select\", \"na\"\"me\" FROM \"_deleted_order\"\"s 테이블\""));
  }
}
