package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.TargetTable;
import java.io.Serializable;
import java.util.function.Consumer;

/**
 * What a target holds: its live rows, each as a change of its key (the sequence is not used), which
 * a TRUNCATE at the source removes; and its record of every key with its sequence, where a key move
 * finds the old key's row.
 */
public interface TargetKeys extends Serializable {
  void forEachRow(TargetTable table, Consumer<Change> row) throws Exception;

  /**
   * The target's record of every key: an UPSERT of its row, or a DELETE of its key (a tombstone or
   * a soft-deleted row), each at the sequence the target holds for it.
   */
  void forEachKeyRecord(TargetTable table, Consumer<Change> record) throws Exception;
}
