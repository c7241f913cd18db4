package io.replicator.source.jdbc;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.ColumnType;
import io.replicator.change.Json;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.source.RejectedInputException;
import io.replicator.source.RowReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads a source table through JDBC as snapshot rows — UPSERTs at the snapshot's sequence — one
 * key range per partition, in parallel. Rows whose values do not fit the warehouse types (a
 * PostgreSQL {@code infinity} date, a {@code NaN} numeric) become dead letters.
 *
 * <pre>{@code
 * ReadChanges.Result read = pipeline.apply(ReadJdbcSnapshot.of(source, table, ranges, Sequence.of(lsn))
 *     .withSnapshotId(snapshot.id()).withFetchSize(10_000));
 * }</pre>
 */
public final class ReadJdbcSnapshot extends PTransform<PBegin, ReadChanges.Result> {
  public static final String ROWS_READ = "jdbc_rows_read";
  public static final String PARTITIONS_READ = "jdbc_partitions_read";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};

  private final JdbcSource source;
  private final SourceTable table;
  private final List<KeyRange> ranges;
  private final Sequence sequence;
  private final String targetTable;
  private final String snapshotId;
  private final int fetchSize;

  private ReadJdbcSnapshot(JdbcSource source, SourceTable table, List<KeyRange> ranges, Sequence sequence,
      String targetTable, String snapshotId, int fetchSize) {
    this.source = source;
    this.table = table;
    this.ranges = List.copyOf(ranges);
    this.sequence = sequence;
    this.targetTable = targetTable;
    this.snapshotId = snapshotId;
    this.fetchSize = fetchSize;
  }

  public static ReadJdbcSnapshot of(JdbcSource source, SourceTable table, List<KeyRange> ranges, Sequence sequence,
      String targetTable) {
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException("a snapshot needs at least one key range");
    }
    return new ReadJdbcSnapshot(source, table, ranges, sequence, targetTable, null, 10_000);
  }

  /** Every partition reads this exported PostgreSQL snapshot: one consistent state of the table. */
  public ReadJdbcSnapshot withSnapshotId(String id) {
    return new ReadJdbcSnapshot(source, table, ranges, sequence, targetTable, id, fetchSize);
  }

  public ReadJdbcSnapshot withFetchSize(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("--jdbcFetchSize must be at least 1, got " + rows);
    }
    return new ReadJdbcSnapshot(source, table, ranges, sequence, targetTable, snapshotId, rows);
  }

  @Override
  public ReadChanges.Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("Partitions", Create.of(IntStream.range(0, ranges.size()).boxed().toList()).withCoder(VarIntCoder.of()))
        .apply("Spread partitions", Reshuffle.viaRandomKey())
        .apply("Read partition", ParDo.of(new ReadPartitionFn(this)).withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS)));
    return ReadChanges.Result.of(input.getPipeline(),
        out.get(CHANGES).setCoder(ChangeCoder.of()), out.get(DEAD_LETTERS).setCoder(DeadLetter.Coder.of()));
  }

  private static final class ReadPartitionFn extends DoFn<Integer, Change> {
    private final ReadJdbcSnapshot spec;
    private final Counter rowsRead = Metrics.counter(ReadChanges.NAMESPACE, ROWS_READ);
    private final Counter partitionsRead = Metrics.counter(ReadChanges.NAMESPACE, PARTITIONS_READ);
    private final Counter rejected = Metrics.counter(ReadChanges.NAMESPACE, ReadChanges.REJECTED);
    private final Counter decoded = Metrics.counter(ReadChanges.NAMESPACE, ReadChanges.CHANGES_DECODED);

    ReadPartitionFn(ReadJdbcSnapshot spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element Integer partition, MultiOutputReceiver out) throws SQLException {
      KeyRange range = spec.ranges.get(partition);
      TableSchema schema = spec.table.schema();
      RowReader row = new RowReader(schema);
      ColumnType[] types = new ColumnType[schema.columns().size()];
      for (int i = 0; i < types.length; i++) {
        types[i] = schema.column(i).type();
      }
      String where = spec.source.isPostgres() ? rowWhere(range) : null;
      try (Connection c = spec.source.open()) {
        if (spec.snapshotId != null) {
          PostgresSnapshot.importInto(c, spec.snapshotId);
        } else {
          c.setAutoCommit(false); // PostgreSQL streams rows with a fetch size only inside a transaction
        }
        List<String> keys = Partitioner.keyRefs(spec.table, c);
        String sql = "SELECT " + String.join(", ", spec.table.selectList()) + " FROM " + spec.table.from()
            + " WHERE " + (where != null ? where : Partitioner.where(keys, range));
        try (PreparedStatement ps = c.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
          ps.setFetchSize(spec.fetchSize);
          List<Object> params = where != null ? rowParameters(range) : Partitioner.parameters(range);
          for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            long n = 0;
            while (rs.next()) {
              n++;
              emit(rs, row, types, out);
            }
            rowsRead.inc(n);
          }
        }
        c.rollback(); // read only: nothing to keep
      } catch (SQLException e) {
        throw new SQLException("reading " + spec.table + " from " + spec.source.displayUrl() + ", key range " + range
            + ": " + e.getMessage(), e.getSQLState(), e);
      }
      partitionsRead.inc();
    }

    /** PostgreSQL compares rows natively, and uses the key's index for it. */
    private String rowWhere(KeyRange range) throws SQLException {
      List<String> keys = new ArrayList<>();
      for (String k : spec.table.schema().keyColumns()) {
        keys.add("q." + SourceTable.quote("\"", k));
      }
      String tuple = "(" + String.join(", ", keys) + ")";
      String marks = "(" + String.join(", ", java.util.Collections.nCopies(keys.size(), "?")) + ")";
      List<String> parts = new ArrayList<>();
      if (range.lower() != null) {
        parts.add(tuple + " >= " + marks);
      }
      if (range.upper() != null) {
        parts.add(tuple + " < " + marks);
      }
      return parts.isEmpty() ? "TRUE" : String.join(" AND ", parts);
    }

    private static List<Object> rowParameters(KeyRange range) {
      List<Object> params = new ArrayList<>();
      if (range.lower() != null) {
        params.addAll(List.of(range.lower()));
      }
      if (range.upper() != null) {
        params.addAll(List.of(range.upper()));
      }
      return params;
    }

    private void emit(ResultSet rs, RowReader row, ColumnType[] types, MultiOutputReceiver out) throws SQLException {
      row.reset();
      try {
        for (int i = 0; i < types.length; i++) {
          read(rs, i, types[i], row);
        }
        out.get(CHANGES).output(new Change(spec.targetTable, ChangeOp.UPSERT, row.key(), spec.sequence, row.rowJson()));
        decoded.inc();
      } catch (RejectedInputException e) {
        rejected.inc();
        out.get(DEAD_LETTERS).output(new DeadLetter(spec.source.displayUrl() + " " + spec.table, 0,
            describe(rs, types.length), e.getMessage()));
      }
    }

    /** One column's value, in the form its type's canonicaliser reads. */
    private static void read(ResultSet rs, int i, ColumnType type, RowReader row)
        throws SQLException, RejectedInputException {
      int col = i + 1;
      switch (type) {
        case INT64 -> {
          long v = rs.getLong(col);
          row.set(i, ValueKind.INTEGER, rs.wasNull() ? null : Long.toString(v));
        }
        case FLOAT64 -> {
          double v = rs.getDouble(col);
          row.set(i, Double.isFinite(v) ? ValueKind.DECIMAL : ValueKind.TEXT, rs.wasNull() ? null : Double.toString(v));
        }
        case BOOL -> {
          boolean v = rs.getBoolean(col);
          row.set(i, ValueKind.BOOLEAN, rs.wasNull() ? null : Boolean.toString(v));
        }
        case BYTES -> {
          byte[] v = rs.getBytes(col);
          row.set(i, ValueKind.TEXT, v == null ? null : Base64.getEncoder().encodeToString(v));
        }
        // Dates, times, decimals and JSON as the database writes them as text (ISO dates with
        // pgjdbc): exact, and free of the JVM's time zone.
        default -> row.set(i, ValueKind.TEXT, rs.getString(col));
      }
    }

    /** The row as the dead letter's input: column names and the values as text. */
    private static String describe(ResultSet rs, int columns) throws SQLException {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 1; i <= columns; i++) {
        if (i > 1) {
          sb.append(',');
        }
        Json.appendString(sb, rs.getMetaData().getColumnLabel(i));
        sb.append(':');
        String v = rs.getString(i);
        sb.append(v == null ? "null" : Json.quote(v));
      }
      return sb.append('}').toString();
    }
  }
}
