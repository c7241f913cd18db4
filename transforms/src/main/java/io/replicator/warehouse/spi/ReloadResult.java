package io.replicator.warehouse.spi;

import io.replicator.common.RecordCoder;

/**
 * What applying a reload did.
 *
 * @param merged its batches' changes, applied together (batch id {@code "reload"})
 * @param batches how many batches were applied (or, when already applied, found so)
 * @param removed live rows the snapshot no longer has, removed
 * @param kept live rows the snapshot lacks that stayed because a rejected line names their key
 */
public record ReloadResult(MergeResult merged, long batches, long removed, long kept) {

  private static final RecordCoder<ReloadResult> CODER = RecordCoder.of(ReloadResult.class,
      (r, out) -> out.with(MergeResult.coder(), r.merged()).varLong(r.batches()).varLong(r.removed())
          .varLong(r.kept()),
      in -> new ReloadResult(in.with(MergeResult.coder()), in.varLong(), in.varLong(), in.varLong()));

  /** Coder: the merge result and var-longs. */
  public static RecordCoder<ReloadResult> coder() {
    return CODER;
  }
}
