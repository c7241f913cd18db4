package io.replicator.pipelines;

import io.replicator.source.jdbc.KeyRange;
import io.replicator.source.jdbc.Partitioner;
import io.replicator.source.jdbc.PostgresSnapshot;
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
  final PostgresSnapshot snapshot;
  /** PostgreSQL without an exported snapshot: the WAL position taken before any partition reads. */
  final Long startLsn;

  private JdbcPlan(SourceTable table, List<KeyRange> ranges, long estimatedRows, PostgresSnapshot snapshot,
      Long startLsn) {
    this.table = table;
    this.ranges = ranges;
    this.estimatedRows = estimatedRows;
    this.snapshot = snapshot;
    this.startLsn = startLsn;
  }

  /** The sequence of the rows read: the snapshot's WAL position, or the one before the reads; else null. */
  Long sequence() {
    return snapshot != null ? Long.valueOf(snapshot.lsn()) : startLsn;
  }

  static JdbcPlan prepare(ReplicatePlan plan) {
    try (Connection c = plan.jdbc.open()) {
      SourceTable table = plan.jdbcTable != null
          ? SourceTable.ofTable(c, plan.jdbc, plan.jdbcTable, plan.keys)
          : SourceTable.ofQuery(c, plan.jdbc, plan.jdbcQuery, plan.keys);
      if (plan.table != null) {
        table = table.withSchema(plan.table.schema());
      }
      long rows = Partitioner.estimateRows(c, plan.jdbc, table);
      int partitions = plan.jdbcPartitions != null ? plan.jdbcPartitions : Partitioner.defaultPartitions(rows);
      List<KeyRange> ranges = Partitioner.plan(c, plan.jdbc, table, partitions, rows);
      // An exported snapshot lives as long as the connection that exported it: only a launcher that
      // waits for the job can hold it. Otherwise each partition reads at its own point in time.
      PostgresSnapshot snapshot = plan.jdbc.isPostgres() && plan.launcherWaits ? PostgresSnapshot.export(plan.jdbc) : null;
      Long startLsn = null;
      if (plan.jdbc.isPostgres() && !plan.launcherWaits) {
        startLsn = PostgresSnapshot.currentLsn(plan.jdbc);
        LOG.warn("The launcher does not wait for the job, so it cannot hold an exported snapshot: each partition"
            + " of {} reads at its own point in time, all after WAL position {}. Changes captured from there on"
            + " make the table consistent.",
            table, startLsn);
      }
      return new JdbcPlan(table, ranges, rows, snapshot, startLsn);
    } catch (SQLException e) {
      throw new SourceException(e.getMessage());
    }
  }

  @Override
  public void close() {
    if (snapshot != null) {
      snapshot.close();
    }
  }
}
