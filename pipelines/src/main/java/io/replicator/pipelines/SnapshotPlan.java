package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.lower;

import io.replicator.source.InputFormat;

/**
 * The {@link SnapshotOptions}, checked: the snapshot files (null when a database or nothing gives
 * the snapshot), whether the snapshot replaces the table, at which sequence, and the reload's
 * delete guard.
 */
record SnapshotPlan(
    String files, InputFormat format, boolean replace, Long sequence, double maxReloadDeletePercent, boolean verify) {

  static SnapshotPlan from(SnapshotOptions o) {
    InputFormat format = switch (lower(o.getSnapshotFormat())) {
      case "jsonl", "json" -> InputFormat.SNAPSHOT_JSONL;
      case "csv" -> InputFormat.SNAPSHOT_CSV;
      default -> throw new OptionsException("--snapshotFormat='" + o.getSnapshotFormat() + "': expected jsonl or csv");
    };
    boolean replace = switch (lower(o.getSnapshotMode())) {
      case "merge" -> false;
      case "replace" -> true;
      default -> throw new OptionsException("--snapshotMode='" + o.getSnapshotMode() + "': expected merge or replace");
    };
    Long sequence = o.getSnapshotSequence();
    if (sequence != null && sequence < 0) {
      throw new OptionsException("--snapshotSequence must not be negative, got " + sequence);
    }
    Double pct = o.getMaxReloadDeletePercent();
    if (pct == null || pct < 0 || pct > 100) {
      throw new OptionsException("--maxReloadDeletePercent must be between 0 and 100, got " + pct);
    }
    return new SnapshotPlan(blankToNull(o.getSnapshot()), format, replace, sequence, pct,
        Boolean.TRUE.equals(o.getVerify()));
  }
}
