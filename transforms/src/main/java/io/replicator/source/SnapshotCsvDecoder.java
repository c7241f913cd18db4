package io.replicator.source;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import java.util.List;
import java.util.function.Consumer;

/** Decodes CSV snapshot records, named by a header record, into UPSERTs at the snapshot's sequence. */
final class SnapshotCsvDecoder {
  private final String table;
  private final Sequence sequence;
  private final RowReader row;
  private final int[] columnOfField;
  private final String headerError;

  SnapshotCsvDecoder(String table, TableSchema schema, Sequence sequence, List<String> header) {
    this(table, schema, sequence, header, null);
  }

  /** {@code headerProblem}, when not null, rejects every record (a header that could not be read). */
  SnapshotCsvDecoder(String table, TableSchema schema, Sequence sequence, List<String> header, String headerProblem) {
    this.table = table;
    this.sequence = sequence;
    this.row = new RowReader(schema).withUnavailableValue(DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE);
    this.columnOfField = new int[header.size()];
    String problem = headerProblem;
    boolean[] seen = new boolean[schema.columns().size()];
    for (int f = 0; problem == null && f < header.size(); f++) {
      String name = header.get(f) == null ? "" : header.get(f).trim();
      Integer index = schema.indexOf(name);
      if (index == null) {
        problem = "header column '" + name + "' is not in the schema";
        break;
      }
      if (seen[index]) {
        problem = "header column '" + name + "' appears twice";
        break;
      }
      seen[index] = true;
      columnOfField[f] = index;
    }
    this.headerError = problem;
  }

  /**
   * The key of a rejected record, when the header is sound, the record has the header's number of
   * fields (else a field may have shifted) and its key fields are valid; null otherwise.
   */
  String keyOfRejected(List<String> fields) {
    if (headerError != null || fields.size() != columnOfField.length) {
      return null;
    }
    row.reset();
    try {
      for (int f = 0; f < fields.size(); f++) {
        if (row.isKey(columnOfField[f])) {
          row.set(columnOfField[f], ValueKind.TEXT, fields.get(f));
        }
      }
    } catch (RejectedInputException e) {
      return null;
    }
    return row.keyOrNull();
  }

  int decode(List<String> fields, Consumer<Change> out) throws RejectedInputException {
    if (headerError != null) {
      throw new RejectedInputException(headerError);
    }
    if (fields.size() != columnOfField.length) {
      throw new RejectedInputException(
          "record has " + fields.size() + " fields, the header has " + columnOfField.length);
    }
    row.reset();
    for (int f = 0; f < fields.size(); f++) {
      row.set(columnOfField[f], ValueKind.TEXT, fields.get(f));
    }
    row.requireWhole("a snapshot row");
    out.accept(new Change(table, ChangeOp.UPSERT, row.key(), sequence, row.rowJson()));
    return 1;
  }
}
