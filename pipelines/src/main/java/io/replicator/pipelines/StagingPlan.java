package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.require;
import static io.replicator.pipelines.OptionChecks.trimSlash;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.common.ByteSize;

/**
 * The {@link StagingOptions}, checked: where batches are staged and dead letters written, and how
 * large a batch may grow.
 */
record StagingPlan(String staging, String deadLetter, long batchMaxBytes, long batchMaxRows, boolean keepStaging,
    boolean stageSnapshotAsRead) {

  static StagingPlan from(StagingOptions o) {
    String staging = trimSlash(require(o.getStaging(), "--staging", "a directory for staged batches"));
    String deadLetter = blankToNull(o.getDeadLetter()) == null ? staging + "/dead-letters" : trimSlash(o.getDeadLetter().trim());
    long bytes = wrap(() -> ByteSize.parse(o.getBatchMaxBytes()), "--batchMaxBytes");
    if (bytes < 1024) {
      throw new OptionsException("--batchMaxBytes must be at least 1KB, got " + o.getBatchMaxBytes());
    }
    Long rows = o.getBatchMaxRows();
    if (rows == null || rows < 1) {
      throw new OptionsException("--batchMaxRows must be at least 1, got " + rows);
    }
    return new StagingPlan(staging, deadLetter, bytes, rows, Boolean.TRUE.equals(o.getKeepStaging()),
        !Boolean.FALSE.equals(o.getStageSnapshotAsRead()));
  }
}
