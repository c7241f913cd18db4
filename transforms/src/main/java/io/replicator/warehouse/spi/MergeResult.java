package io.replicator.warehouse.spi;

import io.replicator.common.RecordCoder;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;

/**
 * What merging one batch did.
 *
 * @param alreadyApplied the batch had been applied by an earlier run and was skipped
 * @param ignored changes older than what the target holds for their key (replays), not applied
 * @param bytesProcessed bytes the warehouse read to merge it (BigQuery's billed measure; 0 elsewhere)
 * @param slotMillis compute the merge took (BigQuery slot-milliseconds; 0 elsewhere)
 * @param partialWithoutBase staged partial rows (as JSON) that would have applied but found no live
 *     row to take their unchanged columns from: not written, for dead letters
 */
public record MergeResult(
    String table, String batchId, boolean alreadyApplied, long rows, long inserted, long updated,
    long deleted, long ignored, long bytesProcessed, long slotMillis, List<String> partialWithoutBase) {

  public MergeResult {
    partialWithoutBase = List.copyOf(partialWithoutBase);
  }

  public MergeResult(String table, String batchId, boolean alreadyApplied, long rows, long inserted, long updated,
      long deleted, long ignored, long bytesProcessed, long slotMillis) {
    this(table, batchId, alreadyApplied, rows, inserted, updated, deleted, ignored, bytesProcessed, slotMillis,
        List.of());
  }

  public static MergeResult skipped(String table, String batchId, long rows) {
    return new MergeResult(table, batchId, true, rows, 0, 0, 0, 0, 0, 0);
  }

  private static final ListCoder<String> ROWS = ListCoder.of(StringUtf8Coder.of());
  private static final RecordCoder<MergeResult> CODER = RecordCoder.of(MergeResult.class,
      (r, out) -> out.string(r.table()).string(r.batchId()).bool(r.alreadyApplied()).varLong(r.rows())
          .varLong(r.inserted()).varLong(r.updated()).varLong(r.deleted()).varLong(r.ignored())
          .varLong(r.bytesProcessed()).varLong(r.slotMillis()).with(ROWS, r.partialWithoutBase()),
      in -> new MergeResult(in.string(), in.string(), in.bool(), in.varLong(), in.varLong(),
          in.varLong(), in.varLong(), in.varLong(), in.varLong(), in.varLong(), in.with(ROWS)));

  /** Coder: strings, a flag, var-longs and the rows not written. */
  public static RecordCoder<MergeResult> coder() {
    return CODER;
  }
}
