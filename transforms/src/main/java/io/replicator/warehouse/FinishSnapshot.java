package io.replicator.warehouse;

import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Warehouse;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Ends a snapshot merged into the table ({@code --snapshotMode=merge}) once every batch is merged:
 * the warehouse forgets the reload under way, so the next snapshot of the same files takes a new
 * sequence. (A full-table reload ends in {@link ApplyReload} instead.)
 *
 * <pre>{@code
 * merged.apply(FinishSnapshot.merging(warehouse, target));
 * }</pre>
 */
public final class FinishSnapshot extends PTransform<PCollection<MergeResult>, PCollection<Long>> {
  private final WarehouseSpec warehouse;
  private final TargetTable table;

  private FinishSnapshot(WarehouseSpec warehouse, TargetTable table) {
    this.warehouse = warehouse;
    this.table = table;
  }

  public static FinishSnapshot merging(WarehouseSpec warehouse, TargetTable table) {
    return new FinishSnapshot(warehouse, table);
  }

  @Override
  public PCollection<Long> expand(PCollection<MergeResult> merged) {
    // Counting every result waits for all batches.
    return merged
        .apply("Wait for all batches", Count.globally())
        .apply("Finish", ParDo.of(new FinishFn(warehouse, table)));
  }

  private static final class FinishFn extends DoFn<Long, Long> {
    private final WarehouseSpec spec;
    private final TargetTable table;

    FinishFn(WarehouseSpec spec, TargetTable table) {
      this.spec = spec;
      this.table = table;
    }

    @ProcessElement
    public void process(@Element Long batches, OutputReceiver<Long> out) {
      try (Warehouse w = spec.open()) {
        w.endReload(table);
      }
      out.output(batches);
    }
  }
}
