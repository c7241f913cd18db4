package io.replicator.source;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
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

  public SnapshotJsonDecoder(String table, TableSchema schema, Sequence sequence) {
    this.table = table;
    this.sequence = sequence;
    this.row = new RowReader(schema);
  }

  @Override
  public int decode(String line, Consumer<Change> out) throws RejectedInputException {
    row.reset();
    try (JsonParser p = JsonLines.open(line)) {
      row.readObject(p, null);
      JsonLines.requireEnd(p);
    } catch (JsonParseException e) {
      throw JsonLines.malformed(e);
    } catch (IOException e) {
      throw new RejectedInputException("unreadable line: " + e.getMessage());
    }
    out.accept(new Change(table, ChangeOp.UPSERT, row.key(), sequence, row.rowJson()));
    return 1;
  }
}
