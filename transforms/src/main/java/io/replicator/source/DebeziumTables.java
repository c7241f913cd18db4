package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Change;
import io.replicator.merge.TargetTable;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Decodes Debezium change events of many tables: reads which table an event is for from its
 * {@code source} block ({@code table}, and {@code schema} or {@code db}), then decodes it with
 * that table's schema. One instance per thread.
 *
 * <p>A table is named as its target is ({@code orders}) or qualified by the source's schema or
 * database ({@code inventory.orders}); names match case-insensitively. Events of other tables are
 * reported as such, for the caller to count: a topic or a drop folder may carry more tables than a
 * run replicates.
 */
public final class DebeziumTables {
  /** What one event was: for which target table, how many changes it gave, and its source time. */
  public record Decoded(String table, int changes, long sourceMillis) {
    /** An event of a table this run does not replicate. */
    public boolean otherTable() {
      return table == null;
    }
  }

  /** Tables named qualified ({@code inventory.orders}), by that name. */
  private final Map<String, DebeziumChangeDecoder> qualified = new HashMap<>();
  /** Tables named bare ({@code orders}). */
  private final Map<String, DebeziumChangeDecoder> bare = new HashMap<>();
  /** Tables named qualified, by their bare name where no other table shares it: for events that name no schema. */
  private final Map<String, DebeziumChangeDecoder> unqualified = new HashMap<>();
  private final DebeziumChangeDecoder only;

  public DebeziumTables(List<TargetTable> tables, Map<String, String> sourceNames) {
    Map<String, Integer> bareNames = new HashMap<>();
    for (TargetTable t : tables) {
      String name = sourceNames.getOrDefault(t.name(), t.name()).toLowerCase(Locale.ROOT);
      DebeziumChangeDecoder decoder = new DebeziumChangeDecoder(t.name(), t.schema(), tableOf(name));
      (name.contains(".") ? qualified : bare).put(name, decoder);
      if (bareNames.merge(tableOf(name), 1, Integer::sum) == 1) {
        unqualified.put(tableOf(name), decoder);
      } else {
        unqualified.remove(tableOf(name));
      }
    }
    // One table: events that do not name theirs (hand-written or trimmed) are for it.
    this.only = tables.size() == 1 ? unqualified.values().iterator().next() : null;
  }

  /**
   * Decodes one event ({@code null} for a Kafka tombstone).
   *
   * @throws RejectedInputException when the event is bad; its message is the reason
   */
  public Decoded decode(String event, Consumer<Change> out) throws RejectedInputException {
    if (event == null) {
      return new Decoded(only == null ? "" : only.table(), 0, 0);
    }
    Peek peek = peek(event);
    DebeziumChangeDecoder decoder;
    if (peek.table != null) {
      String table = peek.table.toLowerCase(Locale.ROOT);
      decoder = peek.namespace != null
          ? qualified.get(peek.namespace.toLowerCase(Locale.ROOT) + "." + table)
          : unqualified.get(table);
      if (decoder == null) {
        decoder = bare.get(table);
      }
      if (decoder == null) {
        return new Decoded(null, 0, peek.sourceMillis);
      }
    } else if (only != null) {
      decoder = only;
    } else if (peek.op == null) {
      return new Decoded("", 0, peek.sourceMillis); // A heartbeat: no table, no change.
    } else {
      throw new RejectedInputException("the event names no table (source.table); this run replicates "
          + (qualified.size() + bare.size()) + " tables and cannot tell which one it is for");
    }
    int n = decoder.decode(event, out);
    return new Decoded(decoder.table(), n, peek.sourceMillis);
  }

  private static String tableOf(String name) {
    return name.substring(name.lastIndexOf('.') + 1);
  }

  private record Peek(String table, String namespace, String op, long sourceMillis) {}

  /** The event's table, namespace, op and source time, without decoding its rows. */
  private static Peek peek(String event) throws RejectedInputException {
    String[] found = new String[3]; // table, namespace, op
    long[] millis = {0, 0}; // source.ts_ms, ts_ms
    try (JsonParser p = JsonLines.open(event)) {
      if (p.currentToken() == JsonToken.START_OBJECT) {
        scan(p, true, found, millis);
      }
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable event: " + e.getMessage());
    }
    return new Peek(found[0], found[1], found[2], millis[0] > 0 ? millis[0] : millis[1]);
  }

  private static void scan(JsonParser p, boolean top, String[] found, long[] millis) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (name.equals("payload") && top && t == JsonToken.START_OBJECT) {
        scan(p, false, found, millis);
      } else if (name.equals("source") && t == JsonToken.START_OBJECT) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken v = p.nextToken();
          if (!v.isScalarValue() || v == JsonToken.VALUE_NULL) {
            p.skipChildren();
          } else if (field.equals("table")) {
            found[0] = p.getText();
          } else if (field.equals("schema") || (field.equals("db") && found[1] == null)) {
            found[1] = p.getText();
          } else if (field.equals("ts_ms") && v == JsonToken.VALUE_NUMBER_INT) {
            millis[0] = p.getLongValue();
          }
        }
      } else if (name.equals("op") && t == JsonToken.VALUE_STRING) {
        found[2] = p.getText();
      } else if (name.equals("ts_ms") && t == JsonToken.VALUE_NUMBER_INT) {
        millis[1] = p.getLongValue();
      } else {
        p.skipChildren();
      }
    }
  }
}
