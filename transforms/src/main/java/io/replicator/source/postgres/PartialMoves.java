package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.PartialKeyMoves.Move;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Completes, for a replication slot's readers, the UPDATEs that move a row's key and leave TOASTed
 * columns out ({@link PartialKeyMoves}): the old key's changes are read again from the slot's
 * confirmed position and laid over the target's record of the old key.
 */
public final class PartialMoves {
  private PartialMoves() {}

  /**
   * Completes {@code moves} (all read from {@code slot} up to {@code end}) and passes each on,
   * whole where it could be completed, else as it was.
   *
   * @param targets the target's records of keys
   */
  public static void complete(ReplicationSlot slot, long end, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, TargetKeys targets, List<Move> moves, Consumer<Change> out)
      throws Exception {
    if (moves.isEmpty()) {
      return;
    }
    Set<String> wanted = new HashSet<>();
    for (Move m : moves) {
      wanted.add(PartialKeyMoves.id(m.moved().table(), m.oldKey()));
    }
    // Every change the slot holds of the old keys (moves into them included, as they were read).
    Map<String, List<Change>> history = new HashMap<>();
    Consumer<Change> keep = c -> {
      String id = PartialKeyMoves.id(c.table(), c.key());
      if (wanted.contains(id)) {
        history.computeIfAbsent(id, k -> new ArrayList<>()).add(c);
      }
    };
    SlotPeek.changesUpTo(slot, end, tables, adder, keep, m -> keep.accept(m.moved()));
    Function<String, TargetTable> tableNamed = name -> tableNamed(tables, name);
    int completed = PartialKeyMoves.complete(moves, history, tableNamed, targets.recordsOf(tableNamed), out);
    Counters.counter(PartialKeyMoves.COMPLETED).inc(completed);
  }

  private static TargetTable tableNamed(Map<String, TargetTable> tables, String name) {
    return tables.values().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }
}
