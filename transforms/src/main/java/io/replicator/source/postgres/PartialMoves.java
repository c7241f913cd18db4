package io.replicator.source.postgres;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Column;
import io.replicator.change.Json;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.change.UnchangedColumns;
import io.replicator.common.Counters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Completes the UPDATEs that move a row's key and leave TOASTed columns out (REPLICA IDENTITY
 * DEFAULT sends the old key only): the values left out are the old key's, just before the move.
 * That row is found where it can be proved to be the one: the latest change of the old key the
 * slot still holds before the move (read again from the slot's confirmed position: a whole row,
 * or partial ones over the target's), or else the target's row of the old key when it cannot be
 * newer than the move: the slot holds no later change of the old key, or the target holds nothing
 * committed at or after the move's transaction. Otherwise the move is
 * passed on partial: the merge then ignores it as a replay, or dead-letters it as a row without
 * base, and never writes a value from the wrong row.
 */
public final class PartialMoves {
  private static final JsonFactory JSON = new JsonFactory();
  /** Key moves that left columns out, completed from the old key's row. */
  public static final String COMPLETED = "partial_key_moves_completed";

  /** A key move whose new row leaves columns out: the old key and the new key's partial change. */
  public record Move(String oldKey, Change moved) {}

  private PartialMoves() {}

  /**
   * Completes {@code moves} (all read from {@code slot} up to {@code end}) and passes each on,
   * whole where it could be completed, else as it was.
   *
   * @param targets the target rows of a table (their sequences are not used)
   */
  public static void complete(ReplicationSlot slot, long end, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, TargetKeys targets, List<Move> moves, Consumer<Change> out)
      throws Exception {
    if (moves.isEmpty()) {
      return;
    }
    Set<String> wanted = new HashSet<>();
    for (Move m : moves) {
      wanted.add(id(m.moved().table(), m.oldKey()));
    }
    // Every change the slot holds of the old keys (moves into them included, as they were read).
    Map<String, List<Change>> history = new HashMap<>();
    Consumer<Change> keep = c -> {
      if (wanted.contains(id(c.table(), c.key()))) {
        history.computeIfAbsent(id(c.table(), c.key()), k -> new ArrayList<>()).add(c);
      }
    };
    SlotPeek.changesUpTo(slot, end, tables, adder, keep, m -> keep.accept(m.moved()));
    Map<String, Change> targetRows = null;
    Map<String, Long> targetMax = new HashMap<>();

    List<Move> inOrder = new ArrayList<>(moves);
    inOrder.sort(Comparator.comparing(m -> m.moved().sequence()));
    int completed = 0;
    for (Move m : inOrder) {
      Change moved = m.moved();
      List<Change> old = new ArrayList<>(history.getOrDefault(id(moved.table(), m.oldKey()), List.of()));
      Change whole = null;
      List<Change> partials = new ArrayList<>();
      boolean knownBase = false;
      boolean changedAfter = false;
      old.sort(Comparator.comparing(Change::sequence));
      for (int i = old.size() - 1; i >= 0; i--) {
        Change c = old.get(i);
        int cmp = c.sequence().compareTo(moved.sequence());
        if (cmp > 0) {
          changedAfter = true;
        } else if (cmp < 0 && !knownBase) {
          if (c.op() == ChangeOp.DELETE) {
            knownBase = true; // the old key had no row: nothing to complete from
          } else if (c.isPartial()) {
            partials.add(0, c);
          } else {
            whole = c;
            knownBase = true;
          }
        }
      }
      if (!knownBase && (!changedAfter
          || targetMax.computeIfAbsent(moved.table(), t -> maxSequence(targets, tables, t)) < moved.sequence().part(0))) {
        if (targetRows == null) {
          targetRows = targetRows(targets, tables, wanted);
        }
        whole = targetRows.get(id(moved.table(), m.oldKey()));
      }
      Change result = moved;
      if (whole != null) {
        TargetTable table = tableNamed(tables, moved.table());
        Map<String, String> base = members(whole.rowJson());
        for (Change p : partials) {
          overlay(base, p);
        }
        Map<String, String> row = new HashMap<>(base);
        overlay(row, moved);
        result = new Change(moved.table(), ChangeOp.UPSERT, moved.key(), moved.sequence(), rowJson(table, row));
        completed++;
      }
      out.accept(result);
      // A move into a key that moves on later is that key's row from here.
      List<Change> into = history.get(id(moved.table(), moved.key()));
      if (into != null) {
        into.removeIf(c -> c.sequence().equals(moved.sequence()) && c.op() == ChangeOp.UPSERT);
        into.add(result);
      }
    }
    Counters.counter(COMPLETED).inc(completed);
  }

  private static String id(String table, String key) {
    return table + '\u0000' + key;
  }

  private static TargetTable tableNamed(Map<String, TargetTable> tables, String name) {
    return tables.values().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }

  private static long maxSequence(TargetKeys targets, Map<String, TargetTable> tables, String table) {
    try {
      return targets.maxSequence(tableNamed(tables, table));
    } catch (Exception e) {
      throw new IllegalStateException("reading the highest sequence of " + table + ": " + e.getMessage(), e);
    }
  }

  /** The target's rows of the {@code wanted} old keys (table and key, as {@link #id} makes them). */
  private static Map<String, Change> targetRows(TargetKeys targets, Map<String, TargetTable> tables,
      Set<String> wanted) throws Exception {
    Map<String, Change> rows = new HashMap<>();
    Set<String> names = new HashSet<>();
    for (String id : wanted) {
      names.add(id.substring(0, id.indexOf('\u0000')));
    }
    for (String name : names) {
      targets.forEachRow(tableNamed(tables, name), c -> {
        if (wanted.contains(id(name, c.key()))) {
          rows.put(id(name, c.key()), c);
        }
      });
    }
    return rows;
  }

  /** A partial change over {@code row}: every column it sets takes its value (absent is NULL). */
  private static void overlay(Map<String, String> row, Change partial) {
    Set<String> unchanged = new HashSet<>(UnchangedColumns.parse(partial.unchanged()));
    row.keySet().removeIf(name -> !unchanged.contains(name));
    row.putAll(members(partial.rowJson()));
  }

  /** The row's members in the schema's order (a NULL left out, as rows are written). */
  private static String rowJson(TargetTable table, Map<String, String> row) {
    StringBuilder sb = new StringBuilder();
    for (Column c : table.schema().columns()) {
      String value = row.get(c.name());
      if (value != null) {
        sb.append(sb.length() == 0 ? "" : ",").append(Json.quote(c.name())).append(':').append(value);
      }
    }
    return sb.toString();
  }

  /** A row's JSON members, each value as the JSON text it is written as; a null member left out. */
  static Map<String, String> members(String rowJson) {
    String object = "{" + rowJson + "}";
    Map<String, String> members = new LinkedHashMap<>();
    try (JsonParser p = JSON.createParser(object)) {
      p.nextToken();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        int start = (int) p.currentTokenLocation().getCharOffset();
        if (t.isStructStart()) {
          p.skipChildren();
        } else {
          p.finishToken(); // a string is read lazily: its end is known only once finished
        }
        int stop = (int) p.currentLocation().getCharOffset();
        if (t != JsonToken.VALUE_NULL) {
          members.put(name, object.substring(start, stop));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a row that is not JSON members: " + e.getMessage(), e);
    }
    return members;
  }
}
