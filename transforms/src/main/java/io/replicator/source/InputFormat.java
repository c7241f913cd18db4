package io.replicator.source;

/** How input files are laid out. */
public enum InputFormat {
  /** Native change lines: columns plus _op, _sequence_num, _before_&lt;key&gt;. */
  NATIVE,
  /** Debezium change events in JSON, one per line. */
  DEBEZIUM,
  /** Snapshot rows, one JSON object per line. */
  SNAPSHOT_JSONL,
  /** Snapshot rows in CSV with a header record. */
  SNAPSHOT_CSV,
  /** Dead letters of an earlier run, each read again in the format it names. */
  DEAD_LETTERS;

  public boolean isSnapshot() {
    return this == SNAPSHOT_JSONL || this == SNAPSHOT_CSV;
  }
}
