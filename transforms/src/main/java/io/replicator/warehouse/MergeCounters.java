package io.replicator.warehouse;

import io.replicator.common.Counters;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.MergedBatches;
import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;

/** The counters every merge into a target reports (batch and stream merges, reloads), counted one way. */
final class MergeCounters implements Serializable {
  private final Counter merged = Counters.counter(MergeBatches.BATCHES_MERGED);
  private final Counter merges = Counters.counter(MergeBatches.MERGES);
  private final Counter alreadyApplied = Counters.counter(MergeBatches.BATCHES_ALREADY_APPLIED);
  private final Counter inserted = Counters.counter(MergeBatches.ROWS_INSERTED);
  private final Counter updated = Counters.counter(MergeBatches.ROWS_UPDATED);
  private final Counter deleted = Counters.counter(MergeBatches.ROWS_DELETED);
  private final Counter ignored = Counters.counter(MergeBatches.CHANGES_IGNORED);
  private final Counter bytesProcessed = Counters.counter(MergeBatches.MERGE_BYTES_PROCESSED);
  private final Counter slotMillis = Counters.counter(MergeBatches.MERGE_SLOT_MILLIS);
  private final Distribution mergeMillis = Counters.distribution("merge_millis");
  private final Counter mergeWall = Counters.counter(MergeBatches.MERGE_WALL_MILLIS);

  /** Counts a merge of {@code batches} staged batches that took {@code millis} of wall time. */
  void count(MergeResult r, long batches, long millis) {
    mergeMillis.update(millis);
    mergeWall.inc(millis);
    if (r.alreadyApplied()) {
      alreadyApplied.inc(batches);
    } else {
      merged.inc(batches);
      merges.inc();
      inserted.inc(r.inserted());
      updated.inc(r.updated());
      deleted.inc(r.deleted());
      ignored.inc(r.ignored());
    }
    bytesProcessed.inc(r.bytesProcessed());
    slotMillis.inc(r.slotMillis());
  }

  /** Counts a merge of several batches as one change set, some perhaps applied before. */
  void count(MergedBatches m) {
    count(m.merged(), m.applied() > 0 ? m.applied() : m.skipped(), m.millis());
    if (m.applied() > 0) {
      alreadyApplied.inc(m.skipped());
    }
  }
}
