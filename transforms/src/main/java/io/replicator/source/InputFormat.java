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

  /** The format's name as users write it: native, debezium, snapshot-jsonl, dead-letters. */
  public String userName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** The format of that {@link #userName}, or null when none has it. */
  public static InputFormat ofUserName(String name) {
    for (InputFormat f : values()) {
      if (f.userName().equals(name)) {
        return f;
      }
    }
    return null;
  }
}
