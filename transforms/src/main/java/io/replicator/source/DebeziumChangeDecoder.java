package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.KeyChanges;
import io.replicator.change.KeyChanges.SourceOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Decodes Debezium change events in JSON: the envelope ({@code before}, {@code after}, {@code op}
 * c/u/d/r, {@code source}, {@code ts_ms}), bare or inside {@code {"schema":…,"payload":…}}.
 * Tombstones ({@code null}) and events without an op (heartbeats) carry no change and are counted
 * as skipped. The sequence comes from the source position ({@link DebeziumPosition}).
 *
 * <p>Values are read as the connector writes them with {@code decimal.handling.mode=string} (or
 * {@code double}) and {@code time.precision.mode=adaptive_time_microseconds} or {@code connect}.
 *
 * <p>A value equal to the connector's placeholder for an unavailable value ({@value
 * #DEFAULT_UNAVAILABLE_VALUE} unless the connector's {@code unavailable.value.placeholder} says
 * otherwise), in any of the forms it writes it (text, base64 or hex bytes, a one-element array),
 * is a column the change left unchanged: PostgreSQL's connector writes it for a TOASTed column an
 * UPDATE did not touch. Only an update may leave columns unchanged.
 */
public final class DebeziumChangeDecoder implements ChangeDecoder {
  /** What Debezium writes, by default, for a value it cannot see. */
  public static final String DEFAULT_UNAVAILABLE_VALUE = "__debezium_unavailable_value";

  private final String table;
  private boolean passingMoves;
  private boolean passingSplits;
  private final String sourceTable;
  private final RowReader after;
  private final RowReader before;
  private final Map<String, String> source = new HashMap<>();
  private String op;
  /** Whether the line has a native line's {@code _op}: a format mix-up, not a heartbeat. */
  private boolean nativeOp;
  private boolean hasAfter;
  private boolean hasBefore;

  public DebeziumChangeDecoder(String table, TableSchema schema) {
    this(table, schema, table);
  }

  /** Decodes events whose {@code source.table} is {@code sourceTable} into changes to {@code table}. */
  public DebeziumChangeDecoder(String table, TableSchema schema, String sourceTable) {
    this(table, schema, sourceTable, DEFAULT_UNAVAILABLE_VALUE);
  }

  /** As above, with the connector's placeholder for unavailable values (null: none). */
  public DebeziumChangeDecoder(String table, TableSchema schema, String sourceTable, String unavailableValue) {
    this.table = table;
    this.sourceTable = sourceTable;
    this.after = new RowReader(schema).withUnavailableValue(unavailableValue);
    this.before = new RowReader(schema).withUnavailableValue(unavailableValue);
  }

  /** The target table the changes are for. */
  public String table() {
    return table;
  }

  /**
   * Passes an UPDATE that moves its key and leaves columns unchanged on as a partial UPSERT naming
   * the old key ({@link io.replicator.change.Change#movedFrom}), for a run that completes it from
   * the old key's row; without this it is rejected with the reason.
   */
  public DebeziumChangeDecoder passingKeyMoves() {
    this.passingMoves = true;
    this.passingSplits = true;
    return this;
  }

  /**
   * Passes only the create half of a key change the PostgreSQL connector split in two (a delete of
   * the old key and a create with placeholders at the same position) on as a partial UPSERT that
   * names no old key ({@link io.replicator.change.Change#DELETED_AT_SAME_POSITION}), for a flow
   * that pairs it with its delete; an UPDATE that moves its key and leaves columns out is still
   * rejected. What a stream completes: the delete half comes after every earlier change of the old
   * key in that key's own order, so having it means having them.
   */
  public DebeziumChangeDecoder passingSplitKeyChanges() {
    this.passingSplits = true;
    return this;
  }

  @Override
  public int decode(String line, Consumer<Change> out) throws RejectedInputException {
    after.reset();
    before.reset();
    source.clear();
    op = null;
    nativeOp = false;
    hasAfter = false;
    hasBefore = false;
    try (JsonParser p = JsonLines.open(line)) {
      if (p.currentToken() == JsonToken.VALUE_NULL) {
        return 0; // A tombstone: Kafka compaction's marker after a delete.
      }
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw new RejectedInputException(
            "expected a JSON object, found " + RowReader.describe(p.currentToken()));
      }
      readEnvelope(p, true);
      JsonLines.requireEnd(p);
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable event: " + e.getMessage());
    }
    if (op == null) {
      if (nativeOp) {
        throw new RejectedInputException("a native change line (it has _op, where a Debezium event has op):"
            + " read it with --changeFormat=native");
      }
      return 0; // A heartbeat or other event without a row change.
    }
    String eventTable = source.get("table");
    if (eventTable != null && !eventTable.equalsIgnoreCase(sourceTable)) {
      throw new RejectedInputException(
          "event for table '" + eventTable + "'; this run replicates '" + sourceTable + "'");
    }
    SourceOp sourceOp = switch (op) {
      case "c", "r" -> SourceOp.INSERT;
      case "u" -> SourceOp.UPDATE;
      case "d" -> SourceOp.DELETE;
      case "t" -> throw new RejectedInputException("truncate events are not applied");
      case "m" -> null;
      default -> throw new RejectedInputException("unknown op '" + op + "' (expected c, r, u, d)");
    };
    if (sourceOp == null) {
      return 0; // A logical decoding message, not a row change.
    }
    Sequence seq = DebeziumPosition.of(source);
    if (sourceOp == SourceOp.DELETE) {
      if (!hasBefore) {
        throw new RejectedInputException("delete event without 'before'");
      }
      KeyChanges.normalise(table, sourceOp, before.key(), null, seq, before.keyRowJson(), null, out);
      return 1;
    }
    if (!hasAfter) {
      throw new RejectedInputException("'" + op + "' event without 'after'");
    }
    if (sourceOp == SourceOp.UPDATE && hasBefore) {
      after.completeFrom(before); // REPLICA IDENTITY FULL: the old row has what the update left out
    }
    String key = after.key();
    String row = after.rowJson();
    if (passingSplits && op.equals("c") && after.isPartial() && "postgresql".equals(source.get("connector"))) {
      // The create half of a key change the connector split in two: the values it left out are
      // those of the key deleted at the same LSN, which the flow pairs it with.
      out.accept(new Change(table, ChangeOp.UPSERT, key, seq, row, after.unchangedJson())
          .movedFrom(Change.DELETED_AT_SAME_POSITION));
      return 1;
    }
    if (sourceOp != SourceOp.UPDATE) {
      after.requireWhole("an '" + op + "' event's row");
    }
    // With REPLICA IDENTITY DEFAULT the before image holds the old key only when the key changed.
    String beforeKey = hasBefore && before.hasAnyKeyColumn() ? before.key() : null;
    String beforeRow = beforeKey != null && !beforeKey.equals(key) ? before.keyRowJson() : null;
    try {
      KeyChanges.normalise(table, sourceOp, key, beforeKey, seq, row, after.unchangedJson(), beforeRow, passingMoves,
          out);
    } catch (IllegalArgumentException e) {
      throw new RejectedInputException(e.getMessage());
    }
    return beforeRow == null ? 1 : 2;
  }

  private void readEnvelope(JsonParser p, boolean top) throws IOException, RejectedInputException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      switch (name) {
        case "payload" -> {
          if (!top) {
            p.skipChildren();
          } else if (t == JsonToken.START_OBJECT) {
            readEnvelope(p, false);
          } else if (t != JsonToken.VALUE_NULL) { // A null payload is a tombstone.
            throw new RejectedInputException("'payload' must be an object");
          }
        }
        case "before" -> hasBefore = readRow(p, before, name);
        case "after" -> hasAfter = readRow(p, after, name);
        case "op" -> op = t == JsonToken.VALUE_NULL ? null : p.getText().toLowerCase(Locale.ROOT);
        case "source" -> readSource(p);
        case "_op" -> {
          nativeOp = top;
          p.skipChildren();
        }
        default -> p.skipChildren(); // schema, ts_ms, transaction, ...
      }
    }
  }

  private boolean readRow(JsonParser p, RowReader row, String name) throws IOException, RejectedInputException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return false;
    }
    try {
      row.readObject(p, null);
    } catch (RejectedInputException e) {
      throw new RejectedInputException(name + ": " + e.getMessage());
    }
    return true;
  }

  private void readSource(JsonParser p) throws IOException, RejectedInputException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (t.isScalarValue()) {
        source.put(name, t == JsonToken.VALUE_NULL ? null : p.getText());
      } else {
        p.skipChildren();
      }
    }
  }
}
