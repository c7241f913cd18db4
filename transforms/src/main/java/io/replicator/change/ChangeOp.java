package io.replicator.change;

/**
 * What a change does to its key once key changes are normalised: an INSERT or UPDATE becomes an
 * UPSERT of the new row, and an UPDATE that moves a row to a new key also DELETEs the old key.
 */
public enum ChangeOp {
  UPSERT,
  DELETE
}
