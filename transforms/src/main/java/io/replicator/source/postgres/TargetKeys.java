package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.TargetTable;
import java.io.Serializable;
import java.util.function.Consumer;

/**
 * The rows a target holds, each as a change of its key (the sequence is not used): what a
 * TRUNCATE at the source removes from it, and where a key move finds the old key's row.
 */
public interface TargetKeys extends Serializable {
  void forEachRow(TargetTable table, Consumer<Change> row) throws Exception;

  /** The first part of the highest sequence the target holds (deleted keys included); 0 when empty. */
  long maxSequence(TargetTable table) throws Exception;
}
