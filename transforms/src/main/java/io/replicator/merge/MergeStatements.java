package io.replicator.merge;

import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.StagedBatch;
import io.replicator.change.StagedLine;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.IntFunction;

/**
 * The SQL that applies one staged batch to a target table, for one dialect. Pure text: it runs
 * nothing, so it is tested as text and executed by a warehouse.
 *
 * <p>A batch holds one change per key (several where partial changes follow a full one, see
 * {@link #withPartialRows}). The statements, run in one transaction:
 *
 * <ol>
 *   <li>{@link #selectEffective}: the batch's changes that win over what the target holds for
 *       their key — a higher sequence than the live row and than its tombstone — into a scratch
 *       table {@value #EFFECTIVE}. Everything else is an old change (a replay) and is ignored.
 *   <li>With partial rows, {@link #selectPartialWithoutBase} (for dead letters) and, after the
 *       count, {@link #dropPartialWithoutBase}.
 *   <li>{@link #countEffective}: inserted, updated and deleted counts, for the summary.
 *   <li>{@link #mergeTarget}: one MERGE of the effective changes into the target.
 *   <li>{@link #mergeTombstones} (hard deletes): tombstones set for deleted keys, cleared for
 *       upserted ones.
 *   <li>{@link #recordBatch}; the staging table is then dropped ({@link #createStaging} made it
 *       temporary, for the transaction) or, in BigQuery, expires.
 * </ol>
 *
 * Parameters are named ({@link SqlDialect#parameter}); where the dialect's are positional they are
 * bound in the order each method documents. Values never enter the SQL as text.
 */
public final class MergeStatements {
  /** The scratch table of one batch's effective changes. */
  public static final String EFFECTIVE = "_effective";
  /** Applied batches, one row each: what makes a re-run of a batch a no-op. */
  public static final String BATCHES = "_replicator_batches";

  private final SqlDialect d;
  private final TargetTable table;
  private final TableSchema schema;
  private final int width;
  private final String stagingTable;
  private final PartitionBounds bounds;
  /** Every staged row at once (a reload's batches, applied together), not one batch's. */
  private final boolean allStaged;
  /** The staged rows include partial ones: a key's staged changes are folded (see {@link #selectEffective}). */
  private final boolean partialRows;

  /**
   * @param sequenceWidth how many sequence parts to compare (1 to 4); the target and tombstone
   *     tables must have that many sequence columns
   */
  public MergeStatements(SqlDialect dialect, TargetTable table, int sequenceWidth) {
    this(dialect, table, sequenceWidth, table.stagingName(), null, false, false);
  }

  private MergeStatements(SqlDialect dialect, TargetTable table, int sequenceWidth, String stagingTable,
      PartitionBounds bounds, boolean allStaged, boolean partialRows) {
    if (sequenceWidth < 1 || sequenceWidth > 4) {
      throw new IllegalArgumentException("sequence width must be 1 to 4, got " + sequenceWidth);
    }
    this.d = dialect;
    this.table = table;
    this.schema = table.schema();
    this.width = sequenceWidth;
    this.stagingTable = stagingTable;
    this.bounds = bounds;
    this.allStaged = allStaged;
    this.partialRows = partialRows;
  }

  /** Reads the batch from {@code name} instead of the table's shared staging table. */
  public MergeStatements withStagingTable(String name) {
    return new MergeStatements(d, table, width, name, bounds, allStaged, partialRows);
  }

  /**
   * Applies every row of the staging table as one change set, whatever its batch: the batches of a
   * reload, applied in one transaction. Batches hold whole keys, so a key still has one row.
   * {@link #selectEffective} then takes no parameter.
   */
  public MergeStatements forAllStaged() {
    return new MergeStatements(d, table, width, stagingTable, bounds, true, partialRows);
  }

  /**
   * Restricts the target side of the join and the MERGE to rows whose partition column lies within
   * the batch's bounds, so the warehouse reads only those partitions. Correct only when a key's
   * partition value never changes (the caller's promise, or the column is part of the key):
   * otherwise a key's row outside the bounds would not be found and the key would be inserted twice.
   */
  public MergeStatements withTargetBounds(PartitionBounds bounds) {
    return new MergeStatements(d, table, width, stagingTable, bounds, allStaged, partialRows);
  }

  /**
   * For staged rows that include partial ones ({@link StagedBatch#partialRows}): a key may then
   * have several staged changes, which {@link #selectEffective} folds into one. Without it the
   * statements are those of whole rows, one per key.
   */
  public MergeStatements withPartialRows(boolean partial) {
    return new MergeStatements(d, table, width, stagingTable, bounds, allStaged, partial);
  }

  /** The target, or only its rows within the bounds (a filtered scan the warehouse can prune). */
  private String boundedTarget() {
    if (bounds == null) {
      return d.table(table.name());
    }
    return "(SELECT * FROM " + d.table(table.name()) + " AS b WHERE TRUE" + targetBounds("b") + ")";
  }

  /**
   * {@code AND (t.col BETWEEN low AND high OR t.col IS NULL)} when bounded, else nothing. Rows
   * without a partition value are always read: soft deletes of keys never seen keep key-only rows.
   */
  private String targetBounds(String alias) {
    if (bounds == null) {
      return "";
    }
    String col = alias + "." + q(bounds.column());
    return " AND (" + col + " BETWEEN " + d.literal(bounds.type(), bounds.low()) + " AND "
        + d.literal(bounds.type(), bounds.high()) + " OR " + col + " IS NULL)";
  }

  private boolean hard() {
    return table.deleteMode() == DeleteMode.HARD;
  }

  private String q(String identifier) {
    return d.quote(identifier);
  }

  private String seq(int i) {
    return q(StagedLine.sequenceColumn(i));
  }

  /** The staged side's sequence part {@code i}: absent parts are zero. */
  private String stagedSeq(int i) {
    return "COALESCE(s." + seq(i) + ", 0)";
  }

  /** {@code a}'s sequence is higher than {@code b}'s, compared part by part. */
  private String sequenceGreater(IntFunction<String> a, IntFunction<String> b) {
    StringJoiner any = new StringJoiner(" OR ", "(", ")");
    for (int i = 0; i < width; i++) {
      StringJoiner all = new StringJoiner(" AND ");
      for (int j = 0; j < i; j++) {
        all.add(a.apply(j) + " = " + b.apply(j));
      }
      all.add(a.apply(i) + " > " + b.apply(i));
      any.add(i == 0 ? all.toString() : "(" + all + ")");
    }
    return any.toString();
  }

  private IntFunction<String> column(String alias) {
    return i -> alias + "." + seq(i);
  }

  private String keysEqual(String a, String b) {
    StringJoiner on = new StringJoiner(" AND ");
    for (String k : schema.keyColumns()) {
      on.add(a + "." + q(k) + " = " + b + "." + q(k));
    }
    return on.toString();
  }

  private String firstKey(String alias) {
    return alias + "." + q(schema.keyColumns().get(0));
  }

  /**
   * Creates the scratch table of effective changes. Parameter: {@code batch_id} (none for all
   * staged rows).
   *
   * <p>With {@link #withPartialRows partial rows}, a key's staged changes (a full one and partial
   * ones after it, ordered by {@code _step}) are folded against the target: of those newer than its
   * row and tombstone, each column takes the value of the latest that sets it (after the latest
   * delete among them); a column none sets keeps the target's value ({@code _set_<i>} false), which
   * needs a live target row and no delete among them, else the row is {@code _without_base}. So a
   * replay mixed with new changes takes from the target what it already holds. {@code _folded}
   * counts the staged rows each effective row stands for.
   */
  public String selectEffective() {
    return partialRows ? selectFolded() : selectWhole();
  }

  private String selectWhole() {
    StringJoiner cols = new StringJoiner(", ");
    for (Column c : schema.columns()) {
      cols.add(d.fromStaging(c.type(), "s." + q(c.name())) + " AS " + q(c.name()));
    }
    cols.add("s." + q("_op") + " AS " + q("_op"));
    for (int i = 0; i < width; i++) {
      cols.add(stagedSeq(i) + " AS " + seq(i));
    }
    cols.add("(" + liveTarget() + ") AS " + q("_exists"));
    StringBuilder sql = new StringBuilder();
    sql.append(d.createTempTableAs(EFFECTIVE)).append('\n')
        .append("SELECT ").append(cols).append('\n')
        .append(newerThanTarget());
    // Kept in the target's own order (new keys last), so the MERGE updates rows as they are stored.
    String position = bounds == null ? d.physicalPosition("t") : null;
    if (position != null) {
      sql.append("\nORDER BY ").append(position);
    }
    return sql.toString();
  }

  private String selectFolded() {
    String step = q("_pos");
    String cut = q("_cut");
    StringJoiner stagedKeys = new StringJoiner(", ");
    for (String k : schema.keyColumns()) {
      stagedKeys.add("s." + q(k));
    }
    String isDelete = "s." + q("_op") + " = 'DELETE'";
    String newer = "SELECT s.*, (" + liveTarget() + ") AS " + q("_live") + ", COALESCE(s." + q(StagedLine.STEP)
        + ", 0) AS " + step + ",\n    MAX(CASE WHEN " + isDelete + " THEN COALESCE(s." + q(StagedLine.STEP)
        + ", 0) END) OVER (PARTITION BY " + stagedKeys + ") AS " + cut + "\n  " + newerThanTarget().replace("\n", "\n  ");

    StringJoiner fold = new StringJoiner(",\n  ");
    StringJoiner out = new StringJoiner(", ");
    StringJoiner allSet = new StringJoiner(" AND ");
    // Keys first, grouped by position: a column named like an alias (n) must not capture GROUP BY.
    StringJoiner groupBy = new StringJoiner(", ");
    List<String> keys = schema.keyColumns();
    for (int i = 0; i < keys.size(); i++) {
      Column c = schema.column(schema.indexOf(keys.get(i)));
      fold.add(d.fromStaging(c.type(), "n." + q(c.name())) + " AS " + q(c.name()));
      groupBy.add(Integer.toString(i + 1));
    }
    for (int i = 0; i < schema.columns().size(); i++) {
      Column c = schema.columns().get(i);
      String value = d.fromStaging(c.type(), "n." + q(c.name()));
      out.add("f." + q(c.name()));
      if (schema.keyColumns().contains(c.name())) {
        continue;
      }
      String sets = "n." + q("_op") + " = 'UPSERT' AND n." + step + " > COALESCE(n." + cut + ", -1) AND NOT COALESCE("
          + d.isUnchanged("n." + q(StagedLine.UNCHANGED), c.name()) + ", FALSE)";
      fold.add(d.latest(value, "n." + step, sets) + " AS " + q(c.name()));
      fold.add(d.anyTrue(sets) + " AS " + setFlag(i));
      out.add("f." + setFlag(i));
      allSet.add("f." + setFlag(i));
    }
    fold.add(d.latest("n." + q("_op"), "n." + step, null) + " AS " + q("_op"));
    out.add("f." + q("_op"));
    for (int i = 0; i < width; i++) {
      fold.add(d.latest("COALESCE(n." + seq(i) + ", 0)", "n." + step, null) + " AS " + seq(i));
      out.add("f." + seq(i));
    }
    fold.add(d.anyTrue("n." + q("_live")) + " AS " + q("_exists"));
    fold.add(d.anyTrue("n." + cut + " IS NOT NULL") + " AS " + q("_deleted"));
    fold.add("COUNT(*) AS " + q("_folded"));
    out.add("f." + q("_exists")).add("f." + q("_folded"));
    String withoutBase = allSet.length() == 0 ? "FALSE"
        : "f." + q("_op") + " = 'UPSERT' AND NOT (" + allSet + ") AND NOT (f." + q("_exists") + " AND NOT f."
            + q("_deleted") + ")";
    out.add("(" + withoutBase + ") AS " + q("_without_base"));
    return d.createTempTableAs(EFFECTIVE) + "\n"
        + "WITH " + q("_newer") + " AS (\n  " + newer + "\n),\n"
        + q("_fold") + " AS (\n  SELECT " + fold.toString().replace("\n", "\n  ") + "\n  FROM " + q("_newer")
        + " AS n\n  GROUP BY " + groupBy + "\n)\n"
        + "SELECT " + out + "\nFROM " + q("_fold") + " AS f";
  }

  /** The flag of non-key column {@code index}: some folded change sets it (else the target's value stays). */
  private String setFlag(int index) {
    return q("_set_" + index);
  }

  /**
   * The folded partial rows that would win over the target but have no live row to complete
   * (see {@link #selectEffective}): the values of the columns they leave unchanged are unknown, so
   * they are not written. One row each: the row as JSON text, with {@code _unchanged}, for a dead
   * letter. Only {@link #withPartialRows with partial rows}; run after {@link #selectEffective}.
   */
  public String selectPartialWithoutBase() {
    requirePartialRows();
    List<String[]> members = new ArrayList<>();
    List<String[]> unset = new ArrayList<>();
    for (int i = 0; i < schema.columns().size(); i++) {
      Column c = schema.columns().get(i);
      members.add(new String[] {c.name(), d.jsonValue(c.type(), "e." + q(c.name()))});
      if (!schema.keyColumns().contains(c.name())) {
        unset.add(new String[] {"NOT e." + setFlag(i), c.name()});
      }
    }
    members.add(new String[] {"_op", "e." + q("_op")});
    for (int i = 0; i < width; i++) {
      members.add(new String[] {StagedLine.sequenceColumn(i), "e." + seq(i)});
    }
    members.add(new String[] {StagedLine.UNCHANGED, d.namesWhere(unset)});
    return "SELECT " + d.jsonObject(members) + " AS " + q("row") + " FROM " + q(EFFECTIVE) + " AS e WHERE e."
        + q("_without_base");
  }

  /** Removes the rows {@link #selectPartialWithoutBase} reports from the effective changes. No parameters. */
  public String dropPartialWithoutBase() {
    requirePartialRows();
    return "DELETE FROM " + q(EFFECTIVE) + " WHERE " + q("_without_base");
  }

  private void requirePartialRows() {
    if (!partialRows) {
      throw new IllegalStateException("rows without base exist only among partial rows");
    }
  }

  /** The target has a live row for the staged row's key (joined as {@code t}). */
  private String liveTarget() {
    return firstKey("t") + " IS NOT NULL" + (hard() ? "" : " AND NOT t." + q("_is_deleted"));
  }

  /**
   * The staged rows (as {@code s}) of the batch (or all) joined with the target ({@code t}) and
   * tombstones ({@code d}) of their keys, those whose sequence is higher than both: what would
   * apply. Everything else is an old change (a replay).
   */
  private String newerThanTarget() {
    StringBuilder sql = new StringBuilder();
    sql.append("FROM ").append(d.table(stagingTable)).append(" AS s\n")
        .append("LEFT JOIN ").append(boundedTarget()).append(" AS t ON ").append(keyOfStaged("t")).append('\n');
    if (hard()) {
      sql.append("LEFT JOIN ").append(d.table(table.tombstoneName())).append(" AS d ON ").append(keyOfStaged("d"))
          .append('\n');
    }
    sql.append("WHERE ").append(stagedOfBatch()).append('\n')
        .append("  AND (").append(firstKey("t")).append(" IS NULL OR ")
        .append(sequenceGreater(this::stagedSeq, column("t"))).append(')');
    if (hard()) {
      sql.append("\n  AND (").append(firstKey("d")).append(" IS NULL OR ")
          .append(sequenceGreater(this::stagedSeq, column("d"))).append(')');
    }
    return sql.toString();
  }

  /** {@code alias}'s key equals the staged row's ({@code s}), its values converted from staging. */
  private String keyOfStaged(String alias) {
    StringJoiner on = new StringJoiner(" AND ");
    for (String k : schema.keyColumns()) {
      Column c = schema.column(schema.indexOf(k));
      on.add(alias + "." + q(k) + " = " + d.fromStaging(c.type(), "s." + q(k)));
    }
    return on.toString();
  }

  /** The staged rows ({@code s}) of the batch, or all of them: parameter {@code batch_id} or none. */
  private String stagedOfBatch() {
    return allStaged ? "TRUE" : "s." + q("_batch_id") + " = " + d.parameter("batch_id");
  }

  /**
   * Whether any staged row's key is held by the target (a row, live or soft-deleted) or, with hard
   * deletes, by its tombstones: one row, 1 or 0, found at the first such key. Where none is, the
   * MERGE would match nothing, so {@link #appendStaged} does its work without matching. Parameter:
   * {@code batch_id} (none for all staged rows).
   */
  public String anyStagedKeyHeld() {
    String held = "EXISTS (SELECT 1 FROM " + boundedTarget() + " AS t WHERE " + keyOfStaged("t") + ")";
    if (hard()) {
      held += " OR EXISTS (SELECT 1 FROM " + d.table(table.tombstoneName()) + " AS d WHERE " + keyOfStaged("d") + ")";
    }
    return "SELECT COUNT(*) FROM (SELECT 1 FROM " + d.table(stagingTable) + " AS s WHERE " + stagedOfBatch()
        + " AND (" + held + ") LIMIT 1) AS h";
  }

  /**
   * 1 when the target holds any row (or, with hard deletes, any tombstone), else 0: a target that
   * holds nothing can take any whole rows appended without looking for their keys.
   */
  public String anyTargetRow() {
    String any = "SELECT 1 FROM " + d.table(table.name()) + " LIMIT 1";
    if (hard()) {
      any = "(" + any + ") UNION ALL (SELECT 1 FROM " + d.table(table.tombstoneName()) + " LIMIT 1)";
    }
    return "SELECT COUNT(*) FROM (" + any + ") AS h";
  }

  /** Counts the staged UPSERTs: the rows an append inserts. Parameter as {@link #anyStagedKeyHeld}. */
  public String countStagedUpserts() {
    return "SELECT COUNT(*) FROM " + d.table(stagingTable) + " AS s WHERE " + stagedOfBatch() + " AND s." + q("_op")
        + " = 'UPSERT'";
  }

  /**
   * Inserts the staged rows as {@link #mergeTarget} would when {@link #anyStagedKeyHeld} finds no
   * key of theirs held (each change is then newer than anything the target knows), without matching
   * them against the target: every UPSERT is a new row; a DELETE is, with hard deletes, only a
   * tombstone ({@link #appendTombstones}), with soft deletes a key-only deleted row. Whole rows
   * only, one per key. Parameter as {@link #anyStagedKeyHeld}.
   */
  public String appendStaged() {
    if (partialRows) {
      throw new IllegalStateException("partial rows are folded against the target: they are merged, never appended");
    }
    String isDelete = "s." + q("_op") + " = 'DELETE'";
    StringJoiner cols = new StringJoiner(", ");
    StringJoiner vals = new StringJoiner(", ");
    for (Column c : schema.columns()) {
      cols.add(q(c.name()));
      String value = d.fromStaging(c.type(), "s." + q(c.name()));
      boolean key = schema.keyColumns().contains(c.name());
      vals.add(hard() || key ? value : "CASE WHEN " + isDelete + " THEN NULL ELSE " + value + " END");
    }
    for (int i = 0; i < width; i++) {
      cols.add(seq(i));
      vals.add(stagedSeq(i));
    }
    if (!hard()) {
      cols.add(q("_is_deleted"));
      vals.add(isDelete);
    }
    return "INSERT INTO " + d.table(table.name()) + " (" + cols + ")\nSELECT " + vals + "\nFROM "
        + d.table(stagingTable) + " AS s\nWHERE " + stagedOfBatch() + (hard() ? " AND NOT " + isDelete : "");
  }

  /** Hard deletes: the tombstones of the staged DELETEs, as {@link #appendStaged} leaves them. Parameter as it. */
  public String appendTombstones() {
    if (!hard()) {
      throw new IllegalStateException("tombstones are kept only with hard deletes");
    }
    StringJoiner cols = new StringJoiner(", ");
    StringJoiner vals = new StringJoiner(", ");
    for (String k : schema.keyColumns()) {
      cols.add(q(k));
      vals.add(d.fromStaging(schema.column(schema.indexOf(k)).type(), "s." + q(k)));
    }
    for (int i = 0; i < width; i++) {
      cols.add(seq(i));
      vals.add(stagedSeq(i));
    }
    return "INSERT INTO " + d.table(table.tombstoneName()) + " (" + cols + ")\nSELECT " + vals + "\nFROM "
        + d.table(stagingTable) + " AS s\nWHERE " + stagedOfBatch() + " AND s." + q("_op") + " = 'DELETE'";
  }

  /**
   * Counts the effective changes: one row of (inserted, updated, deleted, effective). An UPSERT of
   * a key without a live row inserts, of a key with one updates; a DELETE of a live row deletes.
   * {@code effective} is the number of staged rows that were newer than the target (with partial
   * rows, those folded into effective rows, rows without base included): the rest were replays.
   */
  public String countEffective() {
    String op = q("_op");
    String exists = q("_exists");
    String applies = partialRows ? " AND NOT " + q("_without_base") : "";
    return "SELECT"
        + " SUM(CASE WHEN " + op + " = 'UPSERT' AND NOT " + exists + applies + " THEN 1 ELSE 0 END) AS inserted,"
        + " SUM(CASE WHEN " + op + " = 'UPSERT' AND " + exists + applies + " THEN 1 ELSE 0 END) AS updated,"
        + " SUM(CASE WHEN " + op + " = 'DELETE' AND " + exists + " THEN 1 ELSE 0 END) AS deleted,"
        + (partialRows ? " SUM(" + q("_folded") + ")" : " COUNT(*)") + " AS effective"
        + " FROM " + q(EFFECTIVE);
  }

  /** The MERGE of the effective changes into the target. No parameters. */
  public String mergeTarget() {
    StringJoiner set = new StringJoiner(", ");
    StringJoiner insertCols = new StringJoiner(", ");
    StringJoiner insertVals = new StringJoiner(", ");
    StringJoiner keyCols = new StringJoiner(", ");
    StringJoiner keyVals = new StringJoiner(", ");
    for (int i = 0; i < schema.columns().size(); i++) {
      Column c = schema.columns().get(i);
      boolean key = schema.keyColumns().contains(c.name());
      if (!key) {
        // A folded partial row keeps the target's value of every column no change of it set.
        set.add(d.updateTarget("t", c.name()) + " = " + (partialRows
            ? "CASE WHEN e." + setFlag(i) + " THEN e." + q(c.name()) + " ELSE t." + q(c.name()) + " END"
            : "e." + q(c.name())));
      }
      insertCols.add(q(c.name()));
      insertVals.add("e." + q(c.name()));
      if (key) {
        keyCols.add(q(c.name()));
        keyVals.add("e." + q(c.name()));
      }
    }
    StringJoiner seqSet = new StringJoiner(", ");
    for (int i = 0; i < width; i++) {
      seqSet.add(seq(i) + " = e." + seq(i));
      insertCols.add(seq(i));
      insertVals.add("e." + seq(i));
      keyCols.add(seq(i));
      keyVals.add("e." + seq(i));
    }
    StringBuilder sql = new StringBuilder();
    sql.append("MERGE INTO ").append(d.table(table.name())).append(" AS t\n")
        .append("USING ").append(q(EFFECTIVE)).append(" AS e\n")
        .append("ON ").append(keysEqual("t", "e")).append(targetBounds("t")).append('\n');
    String isDelete = "e." + q("_op") + " = 'DELETE'";
    if (hard()) {
      sql.append("WHEN MATCHED AND ").append(isDelete).append(" THEN DELETE\n")
          .append("WHEN MATCHED THEN UPDATE SET ").append(join(set, seqSet.toString())).append('\n')
          .append("WHEN NOT MATCHED AND NOT ").append(isDelete).append(" THEN INSERT (")
          .append(insertCols).append(")\n  VALUES (").append(insertVals).append(')');
    } else {
      String deleted = q("_is_deleted");
      sql.append("WHEN MATCHED AND ").append(isDelete).append(" THEN UPDATE SET ")
          .append(seqSet).append(", ").append(deleted).append(" = TRUE\n")
          .append("WHEN MATCHED THEN UPDATE SET ").append(join(set, seqSet.toString()))
          .append(", ").append(deleted).append(" = FALSE\n")
          // A delete of a key never seen keeps its sequence, so an older insert cannot revive it.
          .append("WHEN NOT MATCHED AND ").append(isDelete).append(" THEN INSERT (")
          .append(keyCols).append(", ").append(deleted).append(")\n  VALUES (")
          .append(keyVals).append(", TRUE)\n")
          .append("WHEN NOT MATCHED THEN INSERT (").append(insertCols).append(", ").append(deleted)
          .append(")\n  VALUES (").append(insertVals).append(", FALSE)");
    }
    return sql.toString();
  }

  private static String join(StringJoiner first, String second) {
    return first.length() == 0 ? second : first + ", " + second;
  }

  /** Hard deletes: sets the tombstone of each deleted key, clears it for each upserted key. */
  public String mergeTombstones() {
    if (!hard()) {
      throw new IllegalStateException("tombstones are kept only with hard deletes");
    }
    StringJoiner cols = new StringJoiner(", ");
    StringJoiner vals = new StringJoiner(", ");
    StringJoiner seqSet = new StringJoiner(", ");
    for (String k : schema.keyColumns()) {
      cols.add(q(k));
      vals.add("e." + q(k));
    }
    for (int i = 0; i < width; i++) {
      cols.add(seq(i));
      vals.add("e." + seq(i));
      seqSet.add(seq(i) + " = e." + seq(i));
    }
    String isDelete = "e." + q("_op") + " = 'DELETE'";
    return "MERGE INTO " + d.table(table.tombstoneName()) + " AS t\n"
        + "USING " + q(EFFECTIVE) + " AS e\n"
        + "ON " + keysEqual("t", "e") + "\n"
        + "WHEN MATCHED AND NOT " + isDelete + " THEN DELETE\n"
        + "WHEN MATCHED THEN UPDATE SET " + seqSet + "\n"
        + "WHEN NOT MATCHED AND " + isDelete + " THEN INSERT (" + cols + ")\n  VALUES (" + vals + ")";
  }

  /**
   * Records the batch as applied. Parameters: {@code table_name}, {@code batch_id},
   * {@code rows_staged}, {@code inserted}, {@code updated}, {@code deleted}.
   */
  public String recordBatch() {
    return "INSERT INTO " + d.table(BATCHES)
        + " (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted) VALUES ("
        + d.parameter("table_name") + ", " + d.parameter("batch_id") + ", CURRENT_TIMESTAMP, "
        + d.parameter("rows_staged") + ", " + d.parameter("inserted") + ", " + d.parameter("updated")
        + ", " + d.parameter("deleted") + ")";
  }

  /** Whether a batch was applied. Parameters: {@code table_name}, {@code batch_id}. */
  public String selectApplied() {
    return "SELECT COUNT(*) FROM " + d.table(BATCHES) + " WHERE table_name = " + d.parameter("table_name")
        + " AND batch_id = " + d.parameter("batch_id");
  }

  /**
   * Records every batch of the staging table as applied, with its row count (a reload's batches,
   * applied together, are counted as one change set in the summary). Parameter: {@code table_name}.
   */
  public String recordStagedBatches() {
    return "INSERT INTO " + d.table(BATCHES)
        + " (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted) SELECT "
        + d.parameter("table_name") + ", " + q("_batch_id") + ", CURRENT_TIMESTAMP, COUNT(*), NULL, NULL, NULL FROM "
        + d.table(stagingTable) + " GROUP BY " + q("_batch_id");
  }

  /**
   * Drops staged rows of batches already recorded as applied, so that a reload applied before is
   * not applied twice. Parameter: {@code table_name}.
   */
  public String dropAppliedStaged() {
    return "DELETE FROM " + d.table(stagingTable) + " WHERE " + q("_batch_id") + " IN (SELECT batch_id FROM "
        + d.table(BATCHES) + " WHERE table_name = " + d.parameter("table_name") + ")";
  }

  /** The statements that create the target, (hard deletes) its tombstones and the batch records. */
  public List<String> createTables() {
    List<String> ddl = new ArrayList<>();
    ddl.add(createTarget());
    if (hard()) {
      ddl.add(createTombstones());
    }
    ddl.add(createBatches());
    return ddl;
  }

  /** The target: the schema's columns, the sequence parts and (soft deletes) {@code _is_deleted}. */
  public String createTarget() {
    StringJoiner target = new StringJoiner(",\n  ");
    for (Column c : schema.columns()) {
      boolean key = schema.keyColumns().contains(c.name());
      // Soft deletes keep key-only rows for deleted keys, so only keys can be NOT NULL there.
      boolean notNull = key || (c.required() && hard());
      target.add(q(c.name()) + " " + d.targetType(c.type()) + (notNull ? " NOT NULL" : ""));
    }
    for (int i = 0; i < width; i++) {
      target.add(seq(i) + " " + d.targetType(ColumnType.INT64) + " NOT NULL");
    }
    if (!hard()) {
      target.add(q("_is_deleted") + " " + d.targetType(ColumnType.BOOL) + " NOT NULL");
    }
    return "CREATE TABLE IF NOT EXISTS " + d.table(table.name()) + " (\n  " + target + "\n)";
  }

  /**
   * The staging table, temporary (it lives for one transaction of one connection): every column
   * nullable, all four sequence parts, {@code _op}, the columns a partial row leaves unchanged, its
   * {@code _step} among its key's rows and {@code _batch_id}.
   */
  public String createStaging() {
    StringJoiner staging = new StringJoiner(",\n  ");
    stagingColumns().forEach((name, type) -> staging.add(q(name) + " " + type));
    return "CREATE OR REPLACE TEMP TABLE " + d.table(stagingTable) + " (\n  " + staging + "\n)";
  }

  /** The staging table's columns and their types, in order: also what a staged file's lines are read as. */
  public Map<String, String> stagingColumns() {
    Map<String, String> columns = new LinkedHashMap<>();
    for (Column c : schema.columns()) {
      columns.put(c.name(), d.stagingType(c.type()));
    }
    columns.put("_op", d.targetType(ColumnType.STRING));
    for (int i = 0; i < 4; i++) {
      columns.put(StagedLine.sequenceColumn(i), d.targetType(ColumnType.INT64));
    }
    columns.put(StagedLine.UNCHANGED, d.namesType());
    columns.put(StagedLine.STEP, d.targetType(ColumnType.INT64));
    columns.put("_batch_id", d.targetType(ColumnType.STRING));
    return columns;
  }

  /** Hard deletes: the key and sequence of each deleted key. */
  public String createTombstones() {
    StringJoiner tomb = new StringJoiner(",\n  ");
    for (Column c : schema.columns()) {
      if (schema.keyColumns().contains(c.name())) {
        tomb.add(q(c.name()) + " " + d.targetType(c.type()) + " NOT NULL");
      }
    }
    for (int i = 0; i < width; i++) {
      tomb.add(seq(i) + " " + d.targetType(ColumnType.INT64) + " NOT NULL");
    }
    return "CREATE TABLE IF NOT EXISTS " + d.table(table.tombstoneName()) + " (\n  " + tomb + "\n)";
  }

  /** The record of applied batches, shared by every target of the dataset. */
  public String createBatches() {
    String str = d.targetType(ColumnType.STRING);
    String i64 = d.targetType(ColumnType.INT64);
    return "CREATE TABLE IF NOT EXISTS " + d.table(BATCHES) + " (table_name " + str + " NOT NULL, batch_id "
        + str + " NOT NULL, applied_at " + d.targetType(ColumnType.TIMESTAMP)
        + " NOT NULL, rows_staged " + i64 + ", inserted " + i64 + ", updated " + i64 + ", deleted " + i64 + ")";
  }

  /** Adds sequence part {@code i} (0-based, at least 1) to a table whose sequences were narrower. */
  public String addSequenceColumn(String tableName, int i) {
    return "ALTER TABLE " + d.table(tableName) + " ADD COLUMN " + seq(i) + " "
        + d.targetType(ColumnType.INT64) + " DEFAULT 0";
  }
}
