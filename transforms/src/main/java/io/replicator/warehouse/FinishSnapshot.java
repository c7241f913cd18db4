package io.replicator.warehouse;

import io.replicator.merge.TargetTable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Ends a snapshot load once every batch is merged. A reload ({@link #replacing}) removes the rows
 * older than the snapshot's sequence, refusing to remove more than the allowed share of the table;
 * a snapshot merged into the table ({@link #merging}) only forgets the reload under way.
 *
 * <pre>{@code
 * merged.apply(FinishSnapshot.replacing(warehouse, target, 1000, 50.0));
 * }</pre>
 *
 * <p>Outputs how many rows the reload removed.
 */
public final class FinishSnapshot extends PTransform<PCollection<MergeResult>, PCollection<Long>> {
  public static final String ROWS_REMOVED_BY_RELOAD = "rows_removed_by_reload";

  private final WarehouseSpec warehouse;
  private final TargetTable table;
  private final long sequence;
  private final double maxDeletePercent;
  private final boolean replace;

  private FinishSnapshot(WarehouseSpec warehouse, TargetTable table, long sequence, double maxDeletePercent, boolean replace) {
    this.warehouse = warehouse;
    this.table = table;
    this.sequence = sequence;
    this.maxDeletePercent = maxDeletePercent;
    this.replace = replace;
  }

  public static FinishSnapshot replacing(WarehouseSpec warehouse, TargetTable table, long sequence, double maxDeletePercent) {
    if (maxDeletePercent < 0 || maxDeletePercent > 100) {
      throw new IllegalArgumentException("the largest share a reload may delete is 0 to 100 percent, got " + maxDeletePercent);
    }
    return new FinishSnapshot(warehouse, table, sequence, maxDeletePercent, true);
  }

  public static FinishSnapshot merging(WarehouseSpec warehouse, TargetTable table) {
    return new FinishSnapshot(warehouse, table, 0, 0, false);
  }

  @Override
  public PCollection<Long> expand(PCollection<MergeResult> merged) {
    // Counting every result waits for all batches: the removal must see all of them merged.
    return merged
        .apply("Wait for all batches", Count.globally())
        .apply("Finish", ParDo.of(new FinishFn(warehouse, table, sequence, maxDeletePercent, replace)));
  }

  private static final class FinishFn extends DoFn<Long, Long> {
    private final WarehouseSpec spec;
    private final TargetTable table;
    private final long sequence;
    private final double maxDeletePercent;
    private final boolean replace;
    private final Counter removed = Metrics.counter("replicator", ROWS_REMOVED_BY_RELOAD);

    FinishFn(WarehouseSpec spec, TargetTable table, long sequence, double maxDeletePercent, boolean replace) {
      this.spec = spec;
      this.table = table;
      this.sequence = sequence;
      this.maxDeletePercent = maxDeletePercent;
      this.replace = replace;
    }

    @ProcessElement
    public void process(OutputReceiver<Long> out) {
      try (Warehouse w = spec.open()) {
        long n = 0;
        if (replace) {
          n = w.finishReload(table, sequence, maxDeletePercent);
        } else {
          w.endReload(table);
        }
        removed.inc(n);
        out.output(n);
      }
    }
  }
}
