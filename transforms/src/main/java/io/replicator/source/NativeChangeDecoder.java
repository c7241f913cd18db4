package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import io.replicator.change.Change;
import io.replicator.change.KeyChanges;
import io.replicator.change.KeyChanges.SourceOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Decodes native change lines, the shape of Data Fusion Replication's staging rows: the row's
 * columns plus {@code _op} (INSERT, UPDATE, DELETE), {@code _sequence_num}, and for UPDATE and
 * DELETE the {@code _before_<key column>} values.
 *
 * <pre>{@code {"id":2,"name":"b","_op":"UPDATE","_sequence_num":17,"_before_id":1}}</pre>
 */
public final class NativeChangeDecoder implements ChangeDecoder {
  private static final String BEFORE = "_before_";

  private final String table;
  private final RowReader row;
  private final RowReader before;
  private final int keyCount;
  private String op;
  private long sequence;
  private boolean hasSequence;
  private int beforeKeysSeen;

  public NativeChangeDecoder(String table, TableSchema schema) {
    this.table = table;
    this.row = new RowReader(schema);
    this.before = new RowReader(schema);
    this.keyCount = schema.keyColumns().size();
  }

  @Override
  public int decode(String line, Consumer<Change> out) throws RejectedInputException {
    row.reset();
    before.reset();
    op = null;
    hasSequence = false;
    beforeKeysSeen = 0;
    try (JsonParser p = JsonLines.open(line)) {
      row.readObject(p, this::metaField);
      JsonLines.requireEnd(p);
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable line: " + e.getMessage());
    }
    if (op == null) {
      throw new RejectedInputException("missing _op");
    }
    if (!hasSequence) {
      throw new RejectedInputException("missing _sequence_num");
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
    KeyChanges.normalise(table, sourceOp, key, beforeKey, seq, rowJson, beforeRow, out);
    return beforeRow == null ? 1 : 2;
  }

  private boolean metaField(String name, JsonParser p) throws IOException, RejectedInputException {
    switch (name) {
      case "_op" -> {
        if (!p.currentToken().isScalarValue() || p.currentToken() == com.fasterxml.jackson.core.JsonToken.VALUE_NULL) {
          throw new RejectedInputException("_op must be a string, found " + JsonLines.describeValue(p));
        }
        op = p.getText().trim().toUpperCase(Locale.ROOT);
        return true;
      }
      case "_sequence_num" -> {
        sequence = JsonLines.readLong(p, "_sequence_num");
        hasSequence = true;
        return true;
      }
      default -> {
        if (!name.startsWith(BEFORE)) {
          return false;
        }
        Integer index = row.schema().indexOf(name.substring(BEFORE.length()));
        if (index == null || !row.schema().keyColumns().contains(row.schema().column(index).name())) {
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
