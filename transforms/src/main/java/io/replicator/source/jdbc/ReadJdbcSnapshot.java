package io.replicator.source.jdbc;

import com.google.auto.value.AutoValue;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.ColumnType;
import io.replicator.change.Json;
import io.replicator.change.Sequence;
import io.replicator.change.StagedLine;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import io.replicator.common.Counters;
import io.replicator.common.Throttle;
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
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

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
@AutoValue
public abstract class ReadJdbcSnapshot extends PTransform<PBegin, ReadChanges.Result> {
  public static final String ROWS_READ = "jdbc_rows_read";
  public static final String PARTITIONS_READ = "jdbc_partitions_read";
  /** Bytes read, counted as the rows' staged JSON: what a throughput bound counts. */
  public static final String BYTES_READ = "jdbc_bytes_read";
  /** Milliseconds each reader spent reading (distribution): bytes over the longest is the rate reached. */
  public static final String READER_MILLIS = "jdbc_reader_millis";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};

  abstract JdbcSource source();

  abstract SourceTable table();

  abstract List<KeyRange> ranges();

  abstract Sequence sequence();

  abstract String targetTable();

  abstract @Nullable String snapshotId();

  abstract int fetchSize();

  abstract double maxBytesPerSecond();

  abstract int lanes();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSource(JdbcSource source);

    abstract Builder setTable(SourceTable table);

    abstract Builder setRanges(List<KeyRange> ranges);

    abstract Builder setSequence(Sequence sequence);

    abstract Builder setTargetTable(String table);

    abstract Builder setSnapshotId(String id);

    abstract Builder setFetchSize(int rows);

    abstract Builder setMaxBytesPerSecond(double bytesPerSecond);

    abstract Builder setLanes(int lanes);

    abstract ReadJdbcSnapshot build();
  }

  public static ReadJdbcSnapshot of(JdbcSource source, SourceTable table, List<KeyRange> ranges, Sequence sequence,
      String targetTable) {
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException("a snapshot needs at least one key range");
    }
    return new AutoValue_ReadJdbcSnapshot.Builder().setSource(source).setTable(table).setRanges(List.copyOf(ranges))
        .setSequence(sequence).setTargetTable(targetTable).setFetchSize(10_000).setMaxBytesPerSecond(0).setLanes(0)
        .build();
  }

  /** Every partition reads this exported PostgreSQL snapshot: one consistent state of the table. */
  public ReadJdbcSnapshot withSnapshotId(String id) {
    return toBuilder().setSnapshotId(id).build();
  }

  public ReadJdbcSnapshot withFetchSize(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("--jdbcFetchSize must be at least 1, got " + rows);
    }
    return toBuilder().setFetchSize(rows).build();
  }

  /**
   * Reads at most {@code bytesPerSecond} from the source, counted as the rows' size in their staged
   * JSON form, across all workers: the partitions are read in {@code readers} lanes, one after
   * another within a lane, each lane paced at its share of the rate.
   */
  public ReadJdbcSnapshot withMaxThroughput(double bytesPerSecond, int readers) {
    if (!(bytesPerSecond > 0) || readers < 1) {
      throw new IllegalArgumentException("a throughput bound needs a positive rate and at least one reader");
    }
    return toBuilder().setMaxBytesPerSecond(bytesPerSecond).setLanes(Math.min(readers, ranges().size())).build();
  }

  @Override
  public ReadChanges.Result expand(PBegin input) {
    PCollection<Integer> partitions = input
        .apply("Partitions", Create.of(IntStream.range(0, ranges().size()).boxed().toList()).withCoder(VarIntCoder.of()));
    PCollection<Iterable<Integer>> work;
    if (lanes() > 0) {
      // A bounded rate: a fixed number of lanes, so the bound holds however many workers there are.
      int n = lanes();
      work = partitions
          .apply("Lanes", WithKeys.of((Integer i) -> i % n).withKeyType(TypeDescriptors.integers()))
          .setCoder(KvCoder.of(VarIntCoder.of(), VarIntCoder.of()))
          .apply("Group lanes", GroupByKey.create())
          .apply("Lane", Values.create());
    } else {
      work = partitions
          .apply("Spread partitions", Reshuffle.viaRandomKey())
          .apply("One each", MapElements.into(TypeDescriptors.iterables(TypeDescriptors.integers()))
              .via((Integer i) -> List.of(i)));
    }
    PCollectionTuple out = work.setCoder(IterableCoder.of(VarIntCoder.of()))
        .apply("Read partitions", ParDo.of(new ReadPartitionFn(this)).withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS)));
    return ReadChanges.Result.of(input.getPipeline(),
        out.get(CHANGES).setCoder(ChangeCoder.of()), out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()));
  }

  private static final class ReadPartitionFn extends DoFn<Iterable<Integer>, Change> {
    private final ReadJdbcSnapshot spec;
    private final Counter rowsRead = Counters.counter(ROWS_READ);
    private final Counter partitionsRead = Counters.counter(PARTITIONS_READ);
    private final Counter rejected = Counters.counter(ReadChanges.REJECTED);
    private final Counter decoded = Counters.counter(ReadChanges.CHANGES_DECODED);
    private final Counter bytesRead = Counters.counter(BYTES_READ);
    private final org.apache.beam.sdk.metrics.Distribution readerMillis =
        Counters.distribution(READER_MILLIS);

    ReadPartitionFn(ReadJdbcSnapshot spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element Iterable<Integer> partitions, MultiOutputReceiver out)
        throws SQLException, InterruptedException {
      long start = System.nanoTime();
      Throttle throttle = spec.lanes() > 0 ? new Throttle(spec.maxBytesPerSecond() / spec.lanes()) : null;
      for (int partition : partitions) {
        read(partition, throttle, out);
      }
      readerMillis.update((System.nanoTime() - start) / 1_000_000);
    }

    private void read(int partition, Throttle throttle, MultiOutputReceiver out) throws SQLException, InterruptedException {
      KeyRange range = spec.ranges().get(partition);
      TableSchema schema = spec.table().schema();
      RowReader row = new RowReader(schema);
      ColumnType[] types = new ColumnType[schema.columns().size()];
      for (int i = 0; i < types.length; i++) {
        types[i] = schema.column(i).type();
      }
      String where = spec.source().isPostgres() ? rowWhere(range) : null;
      try (Connection c = spec.source().open()) {
        if (spec.snapshotId() != null) {
          PostgresSnapshot.importInto(c, spec.snapshotId());
        } else {
          c.setAutoCommit(false); // PostgreSQL streams rows with a fetch size only inside a transaction
        }
        List<String> keys = Partitioner.keyRefs(spec.table(), c);
        String sql = "SELECT " + String.join(", ", spec.table().selectList()) + " FROM " + spec.table().from()
            + " WHERE " + (where != null ? where : Partitioner.where(keys, range));
        try (PreparedStatement ps = c.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
          ps.setFetchSize(spec.fetchSize());
          List<Object> params = where != null ? rowParameters(range) : Partitioner.parameters(range);
          for (int i = 0; i < params.size(); i++) {
            ps.setObject(i + 1, params.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            long n = 0;
            while (rs.next()) {
              n++;
              int size = emit(rs, row, types, out);
              bytesRead.inc(size);
              if (throttle != null) {
                throttle.acquire(size);
              }
            }
            rowsRead.inc(n);
          }
        }
        c.rollback(); // read only: nothing to keep
      } catch (SQLException e) {
        throw new SQLException("reading " + spec.table() + " from " + spec.source().displayUrl() + ", key range " + range
            + ": " + e.getMessage(), e.getSQLState(), e);
      }
      partitionsRead.inc();
    }

    /** PostgreSQL compares rows natively, and uses the key's index for it. */
    private String rowWhere(KeyRange range) throws SQLException {
      List<String> keys = new ArrayList<>();
      for (String k : spec.table().schema().keyColumns()) {
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

    /** Emits one row; returns its size as staged JSON (what a throughput bound counts). */
    private int emit(ResultSet rs, RowReader row, ColumnType[] types, MultiOutputReceiver out) throws SQLException {
      row.reset();
      try {
        for (int i = 0; i < types.length; i++) {
          read(rs, i, types[i], row);
        }
        String json = row.rowJson();
        out.get(CHANGES).output(new Change(spec.targetTable(), ChangeOp.UPSERT, row.key(), spec.sequence(), json));
        decoded.inc();
        return (int) StagedLine.utf8Length(json) + 2;
      } catch (RejectedInputException e) {
        rejected.inc();
        String input = describe(rs, types.length);
        out.get(DEAD_LETTERS).output(new DeadLetter(spec.source().displayUrl() + " " + spec.table(), 0, input,
            e.getMessage(), keyOfRejected(rs, row, types)));
        return (int) StagedLine.utf8Length(input);
      }
    }

    /** The key of a row that could not be converted, when its key columns can be; else null. */
    private static String keyOfRejected(ResultSet rs, RowReader row, ColumnType[] types) throws SQLException {
      row.reset();
      try {
        for (int i = 0; i < types.length; i++) {
          if (row.isKey(i)) {
            read(rs, i, types[i], row);
          }
        }
      } catch (RejectedInputException e) {
        return null;
      }
      return row.keyOrNull();
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
