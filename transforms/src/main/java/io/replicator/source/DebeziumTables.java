package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.TargetTable;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 *
 * <p>Events with the schema envelope say which columns their rows have. A new nullable column is
 * added to the target through {@link Evolution} and decoded from then on; a change the target
 * cannot follow (a column dropped, a type changed) rejects the event with the reason, so every
 * event of that table goes to dead letters until it is resolved, while other tables go on.
 */
public final class DebeziumTables {
  /** What one event was: for which target table, how many changes it gave, and its source time. */
  public record Decoded(String table, int changes, long sourceMillis) {
    /** An event of a table this run does not replicate. */
    public boolean otherTable() {
      return table == null;
    }
  }

  /** Adds columns to a target table, idempotently; returns the table as it is then. */
  public interface Evolution {
    TargetTable addColumns(TargetTable table, List<Column> columns) throws Exception;
  }

  /** A replicated table: its target as it stands and the decoder of its events. */
  private final class Entry {
    TargetTable target;
    final String sourceTable;
    DebeziumChangeDecoder decoder;

    Entry(TargetTable target, String sourceTable) {
      this.sourceTable = sourceTable;
      use(target);
    }

    void use(TargetTable t) {
      this.target = t;
      this.decoder = new DebeziumChangeDecoder(t.name(), t.schema(), sourceTable, unavailableValue);
      if (passingMoves) {
        decoder.passingKeyMoves();
      } else if (passingSplits) {
        decoder.passingSplitKeyChanges();
      }
    }
  }

  /** The connector's placeholder for unavailable values: see {@link DebeziumChangeDecoder}. */
  private final String unavailableValue;

  private static final int VERDICTS_KEPT = 256;

  private boolean passingSplits;
  private boolean passingMoves;

  /** Tables named qualified ({@code inventory.orders}), by that name. */
  private final Map<String, Entry> qualified = new HashMap<>();
  /** Tables named bare ({@code orders}). */
  private final Map<String, Entry> bare = new HashMap<>();
  /** Tables named qualified, by their bare name where no other table shares it: for events that name no schema. */
  private final Map<String, Entry> unqualified = new HashMap<>();
  private final Entry only;
  private final Evolution evolution;
  /** Table and schema envelope text → what it means for the table; envelopes repeat, parsing them is not free. */
  private final Map<String, EventSchema.Verdict> verdicts = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, EventSchema.Verdict> eldest) {
      return size() > VERDICTS_KEPT;
    }
  };

  public DebeziumTables(List<TargetTable> tables, Map<String, String> sourceNames) {
    this(tables, sourceNames, null);
  }

  /** With {@code evolution}, new nullable columns are added; the connector's default placeholder. */
  public DebeziumTables(List<TargetTable> tables, Map<String, String> sourceNames, Evolution evolution) {
    this(tables, sourceNames, evolution, DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE);
  }

  /**
   * With {@code evolution}, new nullable columns are added; without, events that have them are
   * rejected. {@code unavailableValue} is the connector's placeholder for an unchanged value.
   */
  public DebeziumTables(List<TargetTable> tables, Map<String, String> sourceNames, Evolution evolution,
      String unavailableValue) {
    this.evolution = evolution;
    this.unavailableValue = unavailableValue;
    Map<String, Integer> bareNames = new HashMap<>();
    for (TargetTable t : tables) {
      String name = sourceNames.getOrDefault(t.name(), t.name()).toLowerCase(Locale.ROOT);
      Entry entry = new Entry(t, tableOf(name));
      (name.contains(".") ? qualified : bare).put(name, entry);
      if (bareNames.merge(tableOf(name), 1, Integer::sum) == 1) {
        unqualified.put(tableOf(name), entry);
      } else {
        unqualified.remove(tableOf(name));
      }
    }
    // One table: events that do not name theirs (hand-written or trimmed) are for it.
    this.only = tables.size() == 1 ? unqualified.values().iterator().next() : null;
  }

  /** Passes the create halves of split key changes on for pairing ({@link DebeziumChangeDecoder#passingSplitKeyChanges}). */
  public DebeziumTables passingSplitKeyChanges() {
    passingSplits = true;
    return renewDecoders();
  }

  /** Passes every partial key move on for completion ({@link DebeziumChangeDecoder#passingKeyMoves}). */
  public DebeziumTables passingKeyMoves() {
    passingMoves = true;
    return renewDecoders();
  }

  private DebeziumTables renewDecoders() {
    for (Map<String, Entry> entries : List.of(qualified, bare)) {
      entries.values().forEach(e -> e.use(e.target));
    }
    return this;
  }

  /**
   * Decodes one event ({@code null} for a Kafka tombstone).
   *
   * @throws RejectedInputException when the event is bad; its message is the reason
   */
  public Decoded decode(String event, Consumer<Change> out) throws RejectedInputException {
    if (event == null) {
      return new Decoded(only == null ? "" : only.target.name(), 0, 0);
    }
    Peek peek = peek(event);
    Entry entry;
    if (peek.table != null) {
      String table = peek.table.toLowerCase(Locale.ROOT);
      entry = peek.namespace != null
          ? qualified.get(peek.namespace.toLowerCase(Locale.ROOT) + "." + table)
          : unqualified.get(table);
      if (entry == null) {
        entry = bare.get(table);
      }
      if (entry == null) {
        return new Decoded(null, 0, peek.sourceMillis);
      }
    } else if (only != null) {
      entry = only;
    } else if (peek.op == null) {
      return new Decoded("", 0, peek.sourceMillis); // A heartbeat: no table, no change.
    } else {
      throw new RejectedInputException("the event names no table (source.table); this run replicates "
          + (qualified.size() + bare.size()) + " tables and cannot tell which one it is for");
    }
    if (peek.schema != null && peek.op != null) {
      follow(entry, peek.schema);
    }
    int n = entry.decoder.decode(event, out);
    return new Decoded(entry.target.name(), n, peek.sourceMillis);
  }

  /** Checks the event's declared columns against the table; adds new nullable ones. */
  private void follow(Entry entry, String schemaText) throws RejectedInputException {
    String key = entry.target.name() + "\0" + schemaText;
    EventSchema.Verdict verdict = verdicts.get(key);
    if (verdict == null) {
      List<EventSchema.Field> fields;
      try (JsonParser p = JsonLines.open(schemaText)) {
        fields = EventSchema.read(p);
      } catch (IOException e) {
        throw new RejectedInputException("unreadable schema envelope: " + e.getMessage());
      }
      verdict = fields == null ? EventSchema.Verdict.SAME
          : EventSchema.compare(entry.target.name(), entry.target.schema(), fields);
      verdicts.put(key, verdict);
    }
    if (verdict.refusal() != null) {
      throw new RejectedInputException(verdict.refusal());
    }
    if (!verdict.added().isEmpty()) {
      if (evolution == null) {
        throw new RejectedInputException("new column(s) " + names(verdict.added()) + " in " + entry.target.name()
            + ", and this run does not add columns");
      }
      try {
        entry.use(evolution.addColumns(entry.target, verdict.added()));
      } catch (Exception e) {
        throw new RejectedInputException("adding column(s) " + names(verdict.added()) + " to " + entry.target.name()
            + " failed: " + e.getMessage());
      }
      verdicts.clear(); // The table's schema changed: what envelopes mean for it did too.
    }
  }

  private static String names(List<Column> columns) {
    return String.join(", ", columns.stream().map(c -> "'" + c.name() + "' " + c.type()).toList());
  }

  private static String tableOf(String name) {
    return name.substring(name.lastIndexOf('.') + 1);
  }

  /** What is read of an event before its rows: where it is from, its op, its time, its schema text. */
  private record Peek(String table, String namespace, String op, long sourceMillis, String schema) {}

  /** The event's table, namespace, op, source time and schema envelope, without decoding its rows. */
  private static Peek peek(String event) throws RejectedInputException {
    String[] found = new String[4]; // table, namespace, op, schema envelope
    long[] millis = {0, 0}; // source.ts_ms, ts_ms
    try (JsonParser p = JsonLines.open(event)) {
      if (p.currentToken() == JsonToken.START_OBJECT) {
        scan(p, event, true, found, millis);
      }
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable event: " + e.getMessage());
    }
    return new Peek(found[0], found[1], found[2], millis[0] > 0 ? millis[0] : millis[1], found[3]);
  }

  private static void scan(JsonParser p, String event, boolean top, String[] found, long[] millis) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (name.equals("payload") && top && t == JsonToken.START_OBJECT) {
        scan(p, event, false, found, millis);
      } else if (name.equals("schema") && top && t == JsonToken.START_OBJECT) {
        int from = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        found[3] = event.substring(from, (int) p.currentLocation().getCharOffset());
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
