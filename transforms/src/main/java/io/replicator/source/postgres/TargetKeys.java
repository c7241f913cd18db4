package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.TargetTable;
import java.io.Serializable;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
   * As above, for at least the keys whose first key column holds one of {@code firstKeyValues}
   * (others may come too): all of them unless the target can read a few keys alone.
   */
  default void forEachKeyRecord(TargetTable table, Collection<String> firstKeyValues, Consumer<Change> record)
      throws Exception {
    forEachKeyRecord(table, record);
  }

  /** {@code table} with the columns the target has now (a stream may have added some); as given by default. */
  default TargetTable current(TargetTable table) throws Exception {
    return table;
  }

  /**
   * The records {@link PartialKeyMoves#complete} asks for: those of the wanted ids (by {@link
   * PartialKeyMoves#id}), each id's table found by its name through {@code tableNamed} and read once.
   */
  default PartialKeyMoves.TargetRecords recordsOf(Function<String, TargetTable> tableNamed) {
    return wanted -> {
      Map<String, Change> records = new HashMap<>();
      Map<String, Set<String>> firstKeyValues = new LinkedHashMap<>();
      for (String id : wanted) {
        firstKeyValues.computeIfAbsent(PartialKeyMoves.tableOf(id), t -> new HashSet<>())
            .add(PartialKeyMoves.firstKeyValue(id));
      }
      for (String name : firstKeyValues.keySet()) {
        forEachKeyRecord(tableNamed.apply(name), firstKeyValues.get(name), c -> {
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
