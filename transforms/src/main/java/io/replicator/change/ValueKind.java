package io.replicator.change;

/** What an input value looked like before it was converted to its column's type. */
public enum ValueKind {
  /** A JSON string, or a field of a CSV record. */
  TEXT,
  /** A JSON number without fraction or exponent. */
  INTEGER,
  /** A JSON number with a fraction or an exponent. */
  DECIMAL,
  /** A JSON {@code true} or {@code false}. */
  BOOLEAN
}
