package io.replicator.warehouse;

import io.replicator.batch.StagingPaths;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.MergedBatches;
import io.replicator.warehouse.spi.Warehouse;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Loads staged batches and merges each into its table, counting what it did; then removes their staged files. */
final class BatchMerger implements Serializable {
  private final WarehouseSpec spec;
  private final Map<String, TargetTable> tables;
  private final boolean keepStaging;
  private final boolean followSchemaChanges;
  private final MergeCounters counters = new MergeCounters();

  BatchMerger(WarehouseSpec spec, Map<String, TargetTable> tables, boolean keepStaging, boolean followSchemaChanges) {
    this.spec = spec;
    this.tables = tables;
    this.keepStaging = keepStaging;
    this.followSchemaChanges = followSchemaChanges;
  }

  MergeResult merge(StagedBatch batch) throws IOException {
    return mergeAll(List.of(batch)).get(0);
  }

  /** Merges {@code batches} in this order, with the warehouse opened once for all of them. */
  List<MergeResult> mergeAll(List<StagedBatch> batches) throws IOException {
    List<MergeResult> results = new ArrayList<>(batches.size());
    // Opened for these batches, not for the worker's life: a DuckDB file is written by one process
    // at a time, and workers in several processes (a Flink cluster) take turns between batches.
    try (Warehouse warehouse = spec.open()) {
      for (StagedBatch batch : batches) {
        results.add(merge(warehouse, batch));
      }
    }
    return results;
  }

  /**
   * Merges batches of one table that share no key (one bounded run's) with as few merges as the
   * warehouse can ({@link Warehouse#mergeTogether}); one result per merge.
   */
  List<MergeResult> mergeTogether(String tableName, List<StagedBatch> batches) throws IOException {
    TargetTable table = table(tableName);
    List<MergeResult> results = new ArrayList<>();
    try (Warehouse warehouse = spec.open()) {
      for (MergedBatches m : warehouse.mergeTogether(followSchemaChanges ? warehouse.current(table) : table, batches)) {
        counters.count(m);
        results.add(m.merged());
      }
    }
    if (!keepStaging) {
      for (StagedBatch batch : batches) {
        StagingPaths.delete(batch.file());
      }
    }
    return results;
  }

  private TargetTable table(String name) {
    TargetTable table = tables.get(name);
    if (table == null) {
      throw new IllegalStateException("a batch of table '" + name + "', which this run does not merge");
    }
    return table;
  }

  private MergeResult merge(Warehouse warehouse, StagedBatch batch) throws IOException {
    TargetTable table = table(batch.table());
    long start = System.nanoTime();
    if (followSchemaChanges) {
      table = warehouse.current(table);
    }
    MergeResult r = warehouse.merge(table, batch);
    counters.count(r, 1, (System.nanoTime() - start) / 1_000_000);
    if (!keepStaging) {
      StagingPaths.delete(batch.file());
    }
    return r;
  }
}
