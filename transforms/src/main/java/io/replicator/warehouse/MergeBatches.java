package io.replicator.warehouse;

import io.replicator.batch.StagingPaths;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Warehouse;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Loads each staged batch into the warehouse and merges it into the target table, then removes
 * the staged file (unless told to keep it). A batch the warehouse has already applied is skipped.
 *
 * <pre>{@code
 * PCollection<MergeResult> merged =
 *     staged.apply(MergeBatches.into(WarehouseSpec.parse("duckdb:/tmp/w.duckdb"), target));
 * }</pre>
 */
public final class MergeBatches extends PTransform<PCollection<StagedBatch>, PCollection<MergeResult>> {
  public static final String BATCHES_MERGED = "batches_merged";
  public static final String BATCHES_ALREADY_APPLIED = "batches_already_applied";
  public static final String ROWS_INSERTED = "rows_inserted";
  public static final String ROWS_UPDATED = "rows_updated";
  public static final String ROWS_DELETED = "rows_deleted";
  public static final String CHANGES_IGNORED = "changes_ignored_as_old";
  public static final String MERGE_BYTES_PROCESSED = "merge_bytes_processed";
  public static final String MERGE_SLOT_MILLIS = "merge_slot_millis";
  /** Wall time spent in the warehouse's merges (loads included), summed over batches. */
  public static final String MERGE_WALL_MILLIS = "merge_wall_millis";

  private final WarehouseSpec warehouse;
  private final Map<String, TargetTable> tables;
  private final boolean keepStaging;
  private final boolean followSchemaChanges;

  private MergeBatches(WarehouseSpec warehouse, Map<String, TargetTable> tables, boolean keepStaging,
      boolean followSchemaChanges) {
    this.warehouse = warehouse;
    this.tables = tables;
    this.keepStaging = keepStaging;
    this.followSchemaChanges = followSchemaChanges;
  }

  public static MergeBatches into(WarehouseSpec warehouse, TargetTable table) {
    return into(warehouse, List.of(table));
  }

  /** Batches of several tables, each merged into the table it names. */
  public static MergeBatches into(WarehouseSpec warehouse, List<TargetTable> tables) {
    Map<String, TargetTable> byName = new HashMap<>();
    for (TargetTable t : tables) {
      byName.put(t.name(), t);
    }
    return new MergeBatches(warehouse, Map.copyOf(byName), false, false);
  }

  /** Keeps staged files after their batch is merged (for inspection). */
  public MergeBatches keepingStaging(boolean keep) {
    return new MergeBatches(warehouse, tables, keep, followSchemaChanges);
  }

  /** Merges each batch into the table as the warehouse has it then, columns added since the start included. */
  public MergeBatches followingSchemaChanges() {
    return new MergeBatches(warehouse, tables, keepStaging, true);
  }

  @Override
  public PCollection<MergeResult> expand(PCollection<StagedBatch> batches) {
    return batches
        .apply("Load and merge", ParDo.of(new MergeFn(warehouse, tables, keepStaging, followSchemaChanges)))
        .setCoder(MergeResult.coder());
  }

  private static final class MergeFn extends DoFn<StagedBatch, MergeResult> {
    private final WarehouseSpec spec;
    private final Map<String, TargetTable> tables;
    private final boolean keepStaging;
    private final boolean followSchemaChanges;
    private final Counter merged = Counters.counter(BATCHES_MERGED);
    private final Counter alreadyApplied = Counters.counter(BATCHES_ALREADY_APPLIED);
    private final Counter inserted = Counters.counter(ROWS_INSERTED);
    private final Counter updated = Counters.counter(ROWS_UPDATED);
    private final Counter deleted = Counters.counter(ROWS_DELETED);
    private final Counter ignored = Counters.counter(CHANGES_IGNORED);
    private final Counter bytesProcessed = Counters.counter(MERGE_BYTES_PROCESSED);
    private final Counter slotMillis = Counters.counter(MERGE_SLOT_MILLIS);
    private final Distribution mergeMillis = Counters.distribution("merge_millis");
    private final Counter mergeWall = Counters.counter(MERGE_WALL_MILLIS);

    MergeFn(WarehouseSpec spec, Map<String, TargetTable> tables, boolean keepStaging, boolean followSchemaChanges) {
      this.spec = spec;
      this.tables = tables;
      this.keepStaging = keepStaging;
      this.followSchemaChanges = followSchemaChanges;
    }

    @ProcessElement
    public void process(@Element StagedBatch batch, OutputReceiver<MergeResult> out) throws IOException {
      TargetTable table = tables.get(batch.table());
      if (table == null) {
        throw new IllegalStateException("a batch of table '" + batch.table() + "', which this run does not merge");
      }
      long start = System.nanoTime();
      MergeResult r;
      // Opened for each batch, not for the worker's life: a DuckDB file is written by one process at
      // a time, and workers in several processes (a Flink cluster) take turns between batches.
      try (Warehouse warehouse = spec.open()) {
        if (followSchemaChanges) {
          table = warehouse.current(table);
        }
        r = warehouse.merge(table, batch);
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      mergeMillis.update(millis);
      mergeWall.inc(millis);
      if (r.alreadyApplied()) {
        alreadyApplied.inc();
      } else {
        merged.inc();
        inserted.inc(r.inserted());
        updated.inc(r.updated());
        deleted.inc(r.deleted());
        ignored.inc(r.ignored());
      }
      bytesProcessed.inc(r.bytesProcessed());
      slotMillis.inc(r.slotMillis());
      if (!keepStaging) {
        StagingPaths.delete(batch.file());
      }
      out.output(r);
    }
  }
}
