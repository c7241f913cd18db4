package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.io.IOException;
import java.util.function.Consumer;

/** Decodes snapshot rows, one JSON object per line, into UPSERTs at the snapshot's sequence. */
public final class SnapshotJsonDecoder implements ChangeDecoder {
  private final String table;
  private final Sequence sequence;
  private final RowReader row;
  private final RowReader keyOnly;
  private final PlainJsonRow plain = new PlainJsonRow();

  public SnapshotJsonDecoder(String table, TableSchema schema, Sequence sequence) {
    this.table = table;
    this.sequence = sequence;
    // A placeholder of a value the connector could not see never reaches a target through a reload.
    this.row = new RowReader(schema).withUnavailableValue(DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE);
    this.keyOnly = new RowReader(schema);
  }

  /**
   * Reads the key columns alone, skipping every other field: a line rejected for another column
   * (a wrong type, an unknown name) or cut short after its key still names its row.
   */
  @Override
  public String keyOfRejected(String line) {
    keyOnly.reset();
    TableSchema schema = keyOnly.schema();
    try (JsonParser p = JsonLines.open(line)) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        Integer index = name.startsWith("_") ? null : schema.indexOf(name);
        if (index != null && keyOnly.isKey(index)) {
          keyOnly.readValue(index, p);
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException | RejectedInputException e) {
      // Keep what was read before the line went wrong; a key column not read leaves no key.
    }
    return keyOnly.keyOrNull();
  }

  @Override
  public int decode(String line, Consumer<Change> out) throws RejectedInputException {
    row.reset();
    if (!plain.read(line, row, null)) {
      row.reset();
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
    row.reset();
    readParsed(line);
    return emit(out);
  }

  private int emit(Consumer<Change> out) throws RejectedInputException {
    row.requireWhole("a snapshot row");
    out.accept(new Change(table, ChangeOp.UPSERT, row.key(), sequence, row.rowJson()));
    return 1;
  }

  /** Reads {@code line} into the row with the JSON parser: every line the plain reader declines. */
  private void readParsed(String line) throws RejectedInputException {
    try (JsonParser p = JsonLines.openRow(line)) {
      row.readObject(p, null);
      JsonLines.requireEnd(p);
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable line: " + e.getMessage());
    }
  }
}
