package io.replicator.change;

/** What a DELETE does to the target row. */
public enum DeleteMode {
  /** The row goes; its key and sequence are kept in {@code _deleted_<table>} as a tombstone. */
  HARD,
  /** The row stays with {@code _is_deleted = true} and the delete's sequence. */
  SOFT
}
