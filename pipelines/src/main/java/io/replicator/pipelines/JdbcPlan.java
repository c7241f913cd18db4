package io.replicator.pipelines;

import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.jdbc.KeyRange;
import io.replicator.source.jdbc.Partitioner;
import io.replicator.source.jdbc.PostgresSnapshot;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.source.jdbc.SourceTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The source table of a database snapshot, its key ranges, and (PostgreSQL) the exported snapshot
 * its readers share. Prepared at launch; held open until the run — and its verification — ends.
 */
final class JdbcPlan implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbcPlan.class);

  /**
   * Readers of a throughput-bounded snapshot, each at its share of the rate. Two keep a source
   * busy, and every runner here runs two at once (the local runners use both cores), so the
   * bound is also what is reached.
   */
  static final int THROTTLED_READERS = 2;

  final SourceTable table;
  final List<KeyRange> ranges;
  final long estimatedRows;
  /** About how many bytes the rows take as staged JSON, or -1 when unknown. */
  final long estimatedBytes;
  final PostgresSnapshot snapshot;
  /** PostgreSQL without an exported snapshot: the WAL position taken before any partition reads. */
  final Long startLsn;

  private JdbcPlan(SourceTable table, List<KeyRange> ranges, long estimatedRows, long estimatedBytes,
      PostgresSnapshot snapshot, Long startLsn) {
    this.table = table;
    this.ranges = ranges;
    this.estimatedRows = estimatedRows;
    this.estimatedBytes = estimatedBytes;
    this.snapshot = snapshot;
    this.startLsn = startLsn;
  }

  /** The sequence of the rows read: the snapshot's WAL position, or the one before the reads; else null. */
  Long sequence() {
    return snapshot != null ? Long.valueOf(snapshot.lsn()) : startLsn;
  }

  static JdbcPlan prepare(ReplicatePlan plan) {
    return prepare(plan.jdbc(), plan.table().keys(), plan.table().schema(), plan.launcherWaits());
  }

  /**
   * @param keys the key columns when the table has no primary key (or a query), else null
   * @param schema the target's schema to read into, or null for the source's own
   * @param holdSnapshot this process waits for the read, so it can hold an exported snapshot open
   */
  static JdbcPlan prepare(JdbcSourcePlan read, List<String> keys, TableSchema schema, boolean holdSnapshot) {
    JdbcSource source = read.source();
    try (Connection c = source.open()) {
      SourceTable table = read.table() != null
          ? SourceTable.ofTable(c, source, read.table(), keys)
          : SourceTable.ofQuery(c, source, read.query(), keys);
      if (schema != null) {
        table = table.withSchema(schema);
      }
      long rows = Partitioner.estimateRows(c, source, table);
      long bytes = Partitioner.estimateStagedBytes(c, source, table);
      int partitions = read.partitions() != null ? read.partitions() : Partitioner.defaultPartitions(rows);
      List<KeyRange> ranges = Partitioner.plan(c, source, table, partitions, rows);
      // An exported snapshot lives as long as the connection that exported it: only a process that
      // waits for the read can hold it. Otherwise each partition reads at its own point in time.
      PostgresSnapshot snapshot = source.isPostgres() && holdSnapshot ? PostgresSnapshot.export(source) : null;
      Long startLsn = null;
      if (source.isPostgres() && !holdSnapshot) {
        startLsn = PostgresSnapshot.currentLsn(source);
        LOG.warn("No exported snapshot is held for this read (the launcher does not wait for the job, or the read"
            + " is a step of a stream's job): each partition of {} reads at its own point in time, all after WAL"
            + " position {}. Changes captured from there on make the table consistent.",
            table, startLsn);
      }
      return new JdbcPlan(table, ranges, rows, bytes, snapshot, startLsn);
    } catch (SQLException e) {
      throw new SourceException(e.getMessage());
    }
  }

  /** The read of the prepared ranges, each row at {@code sequence}, in the exported snapshot when there is one. */
  ReadJdbcSnapshot read(JdbcSourcePlan plan, String targetTable, long sequence) {
    return read(plan, targetTable, Sequence.of(sequence));
  }

  /**
   * The sequence of the rows of a read of the whole table at a replication slot's position: above
   * the rows an earlier read at the same position wrote (this read's own WAL position decides:
   * a read that starts later sees the source later, and one with no WAL written in between sees
   * what the other saw, as only a change at the source writes WAL, a column added with a default
   * included), and below every change the slot holds from that position (a change's second part,
   * its place in its transaction, is at least 1).
   */
  Sequence atSlotPosition(long slotPosition) {
    return Sequence.of(slotPosition, 0, sequence());
  }

  /** The read of the prepared ranges, each row at {@code sequence}, in the exported snapshot when there is one. */
  ReadJdbcSnapshot read(JdbcSourcePlan plan, String targetTable, Sequence sequence) {
    ReadJdbcSnapshot read = ReadJdbcSnapshot.of(plan.source(), table, ranges, sequence, targetTable)
        .withFetchSize(plan.fetchSize());
    if (plan.maxThroughput() > 0) {
      read = read.withMaxThroughput(plan.maxThroughput(), THROTTLED_READERS);
    }
    return snapshot == null ? read : read.withSnapshotId(snapshot.id());
  }

  @Override
  public void close() {
    if (snapshot != null) {
      snapshot.close();
    }
  }
}
