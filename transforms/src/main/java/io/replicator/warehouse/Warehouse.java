package io.replicator.warehouse;

import io.replicator.batch.StagedBatch;
import io.replicator.change.Column;
import io.replicator.merge.TargetTable;
import java.util.List;
import java.util.OptionalLong;

/**
 * A warehouse the replicate pipeline merges into. Every call is safe to repeat: a batch already
 * applied is recognised by its id and skipped, and the bookkeeping of what was applied commits
 * with the merge itself.
 */
public interface Warehouse extends AutoCloseable {
  /**
   * Creates the target and the pipeline's own tables when missing; checks an existing target
   * against the schema and fails with the difference when they disagree.
   */
  void ensureTables(TargetTable table);

  /**
   * Adds nullable columns to the target (and what stages it) unless it has them already; returns
   * the target with them. Safe to call from many workers at once.
   */
  TargetTable addColumns(TargetTable table, List<Column> columns);

  /** The target as the warehouse has it now: {@code table} plus the nullable columns added since. */
  TargetTable current(TargetTable table);

  /** The highest {@code _sequence_num} the target holds, deleted keys included; 0 when empty. */
  long maxSequenceNum(TargetTable table);

  /** Loads a staged batch and merges it, in one transaction with its bookkeeping. */
  MergeResult merge(TargetTable table, StagedBatch batch);

  /**
   * Ends a full-table reload at {@code sequence}: removes the rows older than it.
   *
   * @throws ReloadRefusedException when that would remove more than {@code maxDeletePercent} of
   *     the live rows; nothing is removed then
   */
  long finishReload(TargetTable table, long sequence, double maxDeletePercent);

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

  @Override
  void close();
}
