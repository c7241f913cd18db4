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

  private JdbcPlan(SourceTable table, List<KeyRange> ranges, long estimatedRows, PostgresSnapshot snapshot) {
    this.table = table;
    this.ranges = ranges;
    this.estimatedRows = estimatedRows;
    this.snapshot = snapshot;
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
      PostgresSnapshot snapshot = plan.jdbc.isPostgres() ? PostgresSnapshot.export(plan.jdbc) : null;
      return new JdbcPlan(table, ranges, rows, snapshot);
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
