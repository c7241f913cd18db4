package io.replicator.warehouse;

import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.warehouse.spi.MergeResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The partial rows a merge could not write, as dead letters: a change that leaves columns
 * unchanged, for a key the target does not hold (or holds deleted), has no values for those
 * columns; writing it would invent NULLs (or a placeholder), so it is rejected with the reason,
 * and counted.
 *
 * <pre>{@code
 * PCollection<DeadLetter> rejected = merged.apply(RowsWithoutBase.asDeadLetters());
 * }</pre>
 */
public final class RowsWithoutBase extends PTransform<PCollection<MergeResult>, PCollection<DeadLetter>> {
  public static final String PARTIAL_ROWS_WITHOUT_BASE = "partial_rows_without_base";
  static final String REASON = "a change that leaves columns unchanged (_unchanged) for a key the target does not"
      + " hold: the values of those columns are unknown, so the row is not written (replicate the key's insert"
      + " or a reload first; for the new row of a key change whose old key's row was not found, REPLICA IDENTITY"
      + " FULL on the source table sends the whole row)";

  private RowsWithoutBase() {}

  public static RowsWithoutBase asDeadLetters() {
    return new RowsWithoutBase();
  }

  @Override
  public PCollection<DeadLetter> expand(PCollection<MergeResult> merged) {
    return merged.apply("Rows without base", ParDo.of(new ToDeadLettersFn())).setCoder(DeadLetter.coder());
  }

  private static final class ToDeadLettersFn extends DoFn<MergeResult, DeadLetter> {
    private final Counter withoutBase = Counters.counter(PARTIAL_ROWS_WITHOUT_BASE);
    private final Counter rejected = Counters.counter(ReadChanges.REJECTED);

    @ProcessElement
    public void process(@Element MergeResult r, OutputReceiver<DeadLetter> out) {
      for (String row : r.partialWithoutBase()) {
        withoutBase.inc();
        rejected.inc();
        out.output(new DeadLetter("merge of " + r.table() + " batch " + r.batchId(), 0, row, REASON));
      }
    }
  }
}
