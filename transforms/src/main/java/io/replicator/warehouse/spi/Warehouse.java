package io.replicator.warehouse.spi;

import io.replicator.change.StagedBatch;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TargetTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * A warehouse the replicate pipeline merges into. Every call is safe to repeat: a batch already
 * applied is recognised by its id and skipped, and the bookkeeping of what was applied commits
 * with the merge itself.
 */
public interface Warehouse extends AutoCloseable {
  /**
   * The counter of wall time a warehouse spends bulk-loading staged files, where loading is a
   * step of its own (the rest of a merge's time is the merge).
   */
  String LOAD_WALL_MILLIS = "load_wall_millis";

  /** Whether an existing target may have columns the run's schema lacks. */
  enum AddedColumns {
    /**
     * No: every update would leave such a column's old value beside the new ones, a row that
     * never existed at the source.
     */
    REFUSED,
    /** Nullable ones, yes: a stream adds the columns new at its source and merges into the table as it is. */
    ACCEPTED
  }

  /**
   * Creates the target and the pipeline's own tables when missing, recording its key and delete
   * mode ({@link TableContract}); checks an existing target against the schema and that record,
   * and fails with the difference when they disagree.
   */
  void ensureTables(TargetTable table, AddedColumns added);

  /** {@link #ensureTables(TargetTable, AddedColumns)} for a run whose schema must be the target's. */
  default void ensureTables(TargetTable table) {
    ensureTables(table, AddedColumns.REFUSED);
  }

  /**
   * Adds nullable columns to the target (and what stages it) unless it has them already; returns
   * the target with them. Safe to call from many workers at once.
   */
  TargetTable addColumns(TargetTable table, List<Column> columns);

  /** The columns of {@code table}'s schema an existing target lacks; none when there is no target yet. */
  List<Column> missingColumns(TargetTable table);

  /** The target as the warehouse has it now: {@code table} plus the nullable columns added since. */
  TargetTable current(TargetTable table);

  /** The highest {@code _sequence_num} the target holds, deleted keys included; 0 when empty. */
  long maxSequenceNum(TargetTable table);

  /** Loads a staged batch and merges it, in one transaction with its bookkeeping. */
  MergeResult merge(TargetTable table, StagedBatch batch);

  /**
   * Merges staged batches whose keys no two of them share (the batches of one bounded run), as
   * few change sets as the warehouse can take at once, each in one transaction with its
   * bookkeeping. Batches applied before are skipped. By default each batch is merged on its own;
   * a warehouse that runs one merge at a time (DuckDB) then matches its target once per change
   * set instead of once per batch.
   */
  default List<MergedBatches> mergeTogether(TargetTable table, List<StagedBatch> batches) {
    List<MergedBatches> merges = new ArrayList<>(batches.size());
    for (StagedBatch batch : batches) {
      long start = System.nanoTime();
      MergeResult r = merge(table, batch);
      merges.add(new MergedBatches(r, r.alreadyApplied() ? 0 : 1, r.alreadyApplied() ? 1 : 0,
          (System.nanoTime() - start) / 1_000_000));
    }
    return merges;
  }

  /**
   * Applies a full-table reload as one unit: every staged batch, then the removal of the live rows
   * older than the reload that it does not have (kept keys excepted), in one transaction, so that
   * no reader ever sees it half applied. Batches already applied are skipped; a reload applied
   * before changes nothing.
   *
   * @throws ReloadRefusedException when the removal would take more than the reload may; nothing
   *     of the reload is applied then
   */
  ReloadResult applyReload(TargetTable table, List<StagedBatch> batches, Reload reload);

  /** The sequence of a reload of the same input that started and did not finish. */
  OptionalLong pendingReload(TargetTable table, String fingerprint);

  /** Notes that a reload of {@code fingerprint} at {@code sequence} started. */
  void startReload(TargetTable table, String fingerprint, long sequence);

  /** Forgets the reload under way, if any (a snapshot in merge mode finishes so). */
  void endReload(TargetTable table);

  /** Receives one row of the target: each column's value as text (BYTES in base64), or null. */
  interface RowVisitor {
    void visit(String[] values) throws Exception;
  }

  /** Reads every live row of the target (soft-deleted rows excluded), in no order. */
  void forEachRow(TargetTable table, RowVisitor visitor);

  /**
   * Receives what the target records of one key: its row's columns as text (for a hard delete's
   * tombstone, the key columns only), the row's sequence parts, and whether the key is deleted.
   */
  interface KeyRecordVisitor {
    void visit(String[] values, long[] sequence, boolean deleted) throws Exception;
  }

  /**
   * Reads what the target records of every key, in no order: live rows, soft-deleted rows and the
   * tombstones of hard deletes, each with its sequence; what the merge would compare a change with.
   */
  void forEachKeyRecord(TargetTable table, KeyRecordVisitor visitor);

  /**
   * As {@link #forEachKeyRecord(TargetTable, KeyRecordVisitor)}, for the keys whose first key
   * column holds one of {@code firstKeyValues} (canonical text): a reader of a few keys' records
   * need not read the table whole. Where the column's type does not allow that filter, or the list is
   * long, every record is visited, so a caller still picks its keys out.
   */
  default void forEachKeyRecord(TargetTable table, Collection<String> firstKeyValues, KeyRecordVisitor visitor) {
    forEachKeyRecord(table, visitor);
  }

  /** Whether records can be read by the values of {@code table}'s first key column: INT64 or STRING, the text compared as is. */
  static boolean readsByFirstKey(TargetTable table, Collection<String> firstKeyValues) {
    if (firstKeyValues == null || firstKeyValues.isEmpty() || firstKeyValues.size() > 10_000) {
      return false;
    }
    ColumnType type = table.schema().column(table.schema().keyIndexes()[0]).type();
    return type == ColumnType.INT64 || type == ColumnType.STRING;
  }

  @Override
  void close();
}
