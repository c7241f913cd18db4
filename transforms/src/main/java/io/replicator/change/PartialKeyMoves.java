package io.replicator.change;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Completes the UPDATEs that move a row's key and leave columns out (PostgreSQL under REPLICA
 * IDENTITY DEFAULT sends the old key only, and TOASTed values it did not touch as placeholders):
 * the values left out are the old key's, just before the move. That row is built as the merge
 * would build it: the target's record of the old key (its row or deletion, with its sequence), and
 * over it the changes of the old key at hand that are newer than that and older than the move, in
 * sequence order (whole rows replace, partial ones are laid over). Where the target records the
 * old key at or after the move (a replay), or a partial change has no row under it, the row before
 * the move cannot be told: the move is passed on as it was, and the merge then ignores it as a
 * replay or dead-letters it as a row without base, never writing a value from the wrong row.
 *
 * <pre>{@code
 * int completed = PartialKeyMoves.complete(moves, history, tables::get, target, staged::add);
 * }</pre>
 */
public final class PartialKeyMoves {
  private static final JsonFactory JSON = new JsonFactory();
  /** Key moves that left columns out, completed from the old key's row. */
  public static final String COMPLETED = "partial_key_moves_completed";

  /** A key move whose new row leaves columns out: the old key and the new key's partial change. */
  public record Move(String oldKey, Change moved) {}

  /** The target's side: what it records of the old keys. */
  public interface TargetRecords {
    /**
     * What the target records of {@code ids} ({@link #id}), by id: each key's row (an UPSERT) or
     * deletion (a DELETE: a tombstone or a soft-deleted row) with its sequence; keys it never had
     * left out.
     */
    Map<String, Change> records(Set<String> ids) throws Exception;
  }

  private PartialKeyMoves() {}

  /** The id of a table's key, as {@code history} and {@link TargetRows#rows} are keyed. */
  public static String id(String table, String key) {
    return table + '\u0000' + key;
  }

  /**
   * The id of a position in a table's changes (its sequence, trailing zero parts left out): where a
   * move whose old key is the one deleted at the same position ({@link
   * Change#DELETED_AT_SAME_POSITION}) finds that deletion. Never equal to an {@link #id}.
   */
  public static String positionId(String table, Sequence at) {
    StringBuilder sb = new StringBuilder(table).append('\u0001');
    int n = at.width();
    while (n > 1 && at.part(n - 1) == 0) {
      n--;
    }
    for (int i = 0; i < n; i++) {
      sb.append(i > 0 ? "/" : "").append(at.part(i));
    }
    return sb.toString();
  }

  /** Whether {@code id} is a {@link #positionId} rather than an {@link #id}. */
  public static boolean isPositionId(String id) {
    return id.indexOf('\u0001') >= 0 && id.indexOf('\u0000') < 0;
  }

  /**
   * The ids a partial key move needs held together: both keys' ({@link #id}), or, for one whose old
   * key is the one deleted at its position, its own key's and that position's ({@link #positionId}).
   */
  public static List<String> idsOf(Change move) {
    String from = move.movedFrom();
    return List.of(id(move.table(), move.key()), Change.DELETED_AT_SAME_POSITION.equals(from)
        ? positionId(move.table(), move.sequence()) : id(move.table(), from));
  }

  /**
   * The first key column's value of an {@link #id}'s key, as canonical text (a JSON string's
   * text, a number's digits): what a warehouse can find the key's record by.
   */
  public static String firstKeyValue(String id) {
    String key = id.substring(id.indexOf('\u0000') + 1);
    try (JsonParser p = JSON.createParser(key)) {
      if (p.nextToken() != JsonToken.START_ARRAY || p.nextToken() == null || p.currentToken().isStructStart()) {
        throw new IllegalArgumentException("not a key: " + key);
      }
      return p.getText();
    } catch (IOException e) {
      throw new UncheckedIOException("not a key: " + key, e);
    }
  }

  /** The table of an {@link #id}. */
  public static String tableOf(String id) {
    return id.substring(0, id.indexOf('\u0000'));
  }

  /**
   * Completes {@code moves} in sequence order and passes each on, whole where it could be
   * completed, else as it was. A move into a key that moves on later is that key's row from then on
   * (chains complete in order).
   *
   * @param history every change at hand of the old keys, by {@link #id} (moves into them included);
   *     a completed move replaces its partial self in it
   * @param tables the target table of each table name (for its columns' order)
   * @return how many moves were completed
   */
  public static int complete(List<Move> moves, Map<String, List<Change>> history,
      Function<String, TargetTable> tables, TargetRecords target, Consumer<Change> out) throws Exception {
    if (moves.isEmpty()) {
      return 0;
    }
    Set<String> wanted = new HashSet<>();
    for (Move m : moves) {
      wanted.add(id(m.moved().table(), m.oldKey()));
    }
    Map<String, Change> records = target.records(wanted);
    List<Move> inOrder = new ArrayList<>(moves);
    inOrder.sort(Comparator.comparing(m -> m.moved().sequence()));
    int completed = 0;
    for (Move m : inOrder) {
      Change moved = m.moved();
      String oldId = id(moved.table(), m.oldKey());
      Map<String, String> base = rowBefore(moved.sequence(), records.get(oldId), history.getOrDefault(oldId, List.of()));
      Change result = moved;
      if (base != null) {
        overlay(base, moved);
        result = new Change(moved.table(), ChangeOp.UPSERT, moved.key(), moved.sequence(),
            rowJson(tables.apply(moved.table()), base));
        completed++;
      }
      out.accept(result);
      List<Change> into = history.get(id(moved.table(), moved.key()));
      if (into != null) {
        into.removeIf(c -> c.sequence().equals(moved.sequence()) && c.op() == ChangeOp.UPSERT);
        into.add(result != moved ? result : moved.movedFrom() != null ? moved : moved.movedFrom(m.oldKey()));
      }
    }
    return completed;
  }

  /**
   * The old key's row just before {@code at}, as the merge would have built it from the target's
   * record and the changes at hand: null when the key had no row then, or when that cannot be told
   * (the target records the key at or after {@code at}; a partial change with nothing under it).
   */
  private static Map<String, String> rowBefore(Sequence at, Change record, List<Change> changes) {
    if (record != null && record.sequence().compareTo(at) >= 0) {
      return null;
    }
    List<Change> before = new ArrayList<>();
    for (Change c : changes) {
      // At the record's sequence or below, a change is one the target holds already (a replay): the
      // merge applies only higher sequences, and a replayed move left partial would hide the row.
      if (c.sequence().compareTo(at) < 0 && (record == null || c.sequence().compareTo(record.sequence()) > 0)) {
        before.add(c);
      }
    }
    // In the order the merge applies them: the change that supersedes the others last.
    before.sort((a, b) -> a.supersedes(b) ? 1 : b.supersedes(a) ? -1 : 0);
    Map<String, String> row = record == null || record.op() == ChangeOp.DELETE ? null : members(record.rowJson());
    for (Change c : before) {
      if (c.movedFrom() != null) {
        return null; // moved in, and that move could not be completed
      } else if (c.op() == ChangeOp.DELETE) {
        row = null;
      } else if (!c.isPartial()) {
        row = members(c.rowJson());
      } else if (row == null) {
        return null;
      } else {
        overlay(row, c);
      }
    }
    return row;
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
