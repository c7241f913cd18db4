package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import io.replicator.change.Change;
import io.replicator.change.KeyChanges;
import io.replicator.change.KeyChanges.SourceOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Decodes native change lines, the shape of Data Fusion Replication's staging rows: the row's
 * columns plus {@code _op} (INSERT, UPDATE, DELETE), {@code _sequence_num}, and for UPDATE and
 * DELETE the {@code _before_<key column>} values. An UPDATE may list in {@code _unchanged} the
 * columns it left as they were (a column simply absent is NULL).
 *
 * <pre>{@code {"id":2,"name":"b","_op":"UPDATE","_sequence_num":17,"_before_id":1}}
 * {"id":2,"name":"c","_op":"UPDATE","_sequence_num":18,"_unchanged":["doc"]}}</pre>
 */
public final class NativeChangeDecoder implements ChangeDecoder {
  private static final String BEFORE = "_before_";

  private final String table;
  private boolean passingMoves;
  private final RowReader row;
  private final RowReader before;
  private final int keyCount;
  private String op;
  private long sequence;
  private boolean hasSequence;
  private int beforeKeysSeen;
  private final java.util.List<String> unchangedNames = new java.util.ArrayList<>();
  private final PlainJsonRow plain = new PlainJsonRow();

  public NativeChangeDecoder(String table, TableSchema schema) {
    this.table = table;
    this.row = new RowReader(schema);
    this.before = new RowReader(schema);
    this.keyCount = schema.keyColumns().size();
  }

  /**
   * Passes an UPDATE that moves its key and leaves columns unchanged on as a partial UPSERT naming
   * the old key ({@link io.replicator.change.Change#movedFrom}), for a run that completes it from
   * the old key's row; without this it is rejected with the reason.
   */
  public NativeChangeDecoder passingKeyMoves() {
    this.passingMoves = true;
    return this;
  }

  @Override
  public int decode(String line, Consumer<Change> out) throws RejectedInputException {
    clear();
    if (!plain.read(line, row, this::plainMetaField)) {
      clear();
      readParsed(line);
    }
    return emit(out);
  }

  /** How many lines {@link #decode} read without the JSON parser. */
  long plainLines() {
    return plain.linesTaken();
  }

  /** {@link #decode} with the JSON parser alone: what the plain reader's lines are checked against. */
  int decodeParsed(String line, Consumer<Change> out) throws RejectedInputException {
    clear();
    readParsed(line);
    return emit(out);
  }

  private void clear() {
    row.reset();
    before.reset();
    op = null;
    hasSequence = false;
    beforeKeysSeen = 0;
    unchangedNames.clear();
  }

  private void readParsed(String line) throws RejectedInputException {
    try (JsonParser p = JsonLines.open(line)) {
      row.readObject(p, this::metaField);
      JsonLines.requireEnd(p);
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable line: " + e.getMessage());
    }
  }

  private int emit(Consumer<Change> out) throws RejectedInputException {
    if (op == null) {
      throw new RejectedInputException("missing _op");
    }
    if (!hasSequence) {
      throw new RejectedInputException("missing _sequence_num");
    }
    for (String name : unchangedNames) {
      Integer index = row.schema().indexOf(name);
      if (index == null) {
        throw new RejectedInputException("_unchanged names '" + name + "', which is not a column of the schema");
      }
      if (row.isPresent(index)) {
        throw new RejectedInputException("column '" + name + "' has a value and is named in _unchanged");
      }
      row.markUnchanged(index);
    }
    if (beforeKeysSeen != 0 && beforeKeysSeen != keyCount) {
      throw new RejectedInputException(
          "_before_ values name " + beforeKeysSeen + " of the " + keyCount + " key columns");
    }
    SourceOp sourceOp = switch (op) {
      case "INSERT" -> SourceOp.INSERT;
      case "UPDATE" -> SourceOp.UPDATE;
      case "DELETE" -> SourceOp.DELETE;
      default -> throw new RejectedInputException(
          "unknown _op '" + op + "' (expected INSERT, UPDATE or DELETE)");
    };
    if (row.isPartial() && sourceOp != SourceOp.UPDATE) {
      throw new RejectedInputException("only an UPDATE leaves columns unchanged; this is an " + sourceOp);
    }
    Sequence seq = Sequence.of(sequence);
    boolean hasBefore = beforeKeysSeen == keyCount && sourceOp != SourceOp.INSERT;
    if (sourceOp == SourceOp.DELETE) {
      // The deleted key is the before-key when given, else the row's key columns.
      RowReader deleted = hasBefore ? before : row;
      KeyChanges.normalise(table, sourceOp, deleted.key(), null, seq, deleted.keyRowJson(), null, out);
      return 1;
    }
    String key = row.key();
    String rowJson = row.rowJson();
    String beforeKey = hasBefore ? before.key() : null;
    String beforeRow = hasBefore && !beforeKey.equals(key) ? before.keyRowJson() : null;
    try {
      KeyChanges.normalise(table, sourceOp, key, beforeKey, seq, rowJson, row.unchangedJson(), beforeRow, passingMoves,
          out);
    } catch (IllegalArgumentException e) {
      throw new RejectedInputException(e.getMessage());
    }
    return beforeRow == null ? 1 : 2;
  }

  /** {@link #metaField} for the plain reader's scalar values; false where the parser's reading is needed. */
  private boolean plainMetaField(String name, ValueKind kind, String text) throws RejectedInputException {
    switch (name) {
      case "_op" -> {
        if (kind == null) {
          return false;
        }
        op = opOf(text);
        return true;
      }
      case "_sequence_num" -> {
        if (kind != ValueKind.INTEGER && kind != ValueKind.TEXT) {
          return false;
        }
        try {
          sequence = Long.parseLong(kind == ValueKind.TEXT ? text.trim() : text);
        } catch (NumberFormatException e) {
          return false;
        }
        hasSequence = true;
        return true;
      }
      case "_unchanged" -> {
        return false; // an array
      }
      default -> {
        Integer index = beforeKeyColumn(name);
        if (index == null) {
          return true; // not part of the row, as the parser skips it
        }
        if (before.isPresent(index)) {
          return false;
        }
        if (kind == null) {
          before.setNull(index);
        } else {
          before.set(index, kind, text);
        }
        beforeKeysSeen++;
        return true;
      }
    }
  }

  /** The _op value as compared: trimmed, upper case. */
  private static String opOf(String text) {
    return text.trim().toUpperCase(Locale.ROOT);
  }

  /** The key column a {@code _before_} field names, or null for any other field. */
  private Integer beforeKeyColumn(String name) {
    if (!name.startsWith(BEFORE)) {
      return null;
    }
    Integer index = row.schema().indexOf(name.substring(BEFORE.length()));
    return index == null || !row.schema().keyColumns().contains(row.schema().column(index).name()) ? null : index;
  }

  private boolean metaField(String name, JsonParser p) throws IOException, RejectedInputException {
    switch (name) {
      case "_op" -> {
        if (!p.currentToken().isScalarValue() || p.currentToken() == com.fasterxml.jackson.core.JsonToken.VALUE_NULL) {
          throw new RejectedInputException("_op must be a string, found " + JsonLines.describeValue(p));
        }
        op = opOf(p.getText());
        return true;
      }
      case "_sequence_num" -> {
        sequence = JsonLines.readLong(p, "_sequence_num");
        hasSequence = true;
        return true;
      }
      case "_unchanged" -> {
        if (p.currentToken() != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
          throw new RejectedInputException("_unchanged must be an array of column names, found "
              + JsonLines.describeValue(p));
        }
        for (var t = p.nextToken(); t != com.fasterxml.jackson.core.JsonToken.END_ARRAY; t = p.nextToken()) {
          if (t != com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
            throw new RejectedInputException("_unchanged must be an array of column names");
          }
          unchangedNames.add(p.getText());
        }
        return true;
      }
      default -> {
        if (!name.startsWith(BEFORE)) {
          return false;
        }
        Integer index = beforeKeyColumn(name);
        if (index == null) {
          p.skipChildren(); // Before-values of non-key columns say nothing the merge needs.
          return true;
        }
        before.readValue(index, p);
        beforeKeysSeen++;
        return true;
      }
    }
  }
}
