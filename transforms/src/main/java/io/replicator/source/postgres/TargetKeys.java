package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.TargetTable;
import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

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

  /**
   * The records {@link PartialKeyMoves#complete} asks for: those of the wanted ids (by {@link
   * PartialKeyMoves#id}), each id's table found by its name through {@code tableNamed} and read once.
   */
  default PartialKeyMoves.TargetRecords recordsOf(Function<String, TargetTable> tableNamed) {
    return wanted -> {
      Map<String, Change> records = new HashMap<>();
      Set<String> names = new LinkedHashSet<>();
      for (String id : wanted) {
        names.add(PartialKeyMoves.tableOf(id));
      }
      for (String name : names) {
        forEachKeyRecord(tableNamed.apply(name), c -> {
          String id = PartialKeyMoves.id(name, c.key());
          if (wanted.contains(id)) {
            records.put(id, c);
          }
        });
      }
      return records;
    };
  }
}
