package io.replicator.change;

import java.util.Objects;

/**
 * One normalised change to one key of one table.
 *
 * <p>The key is the canonical JSON array of the key columns' values (for example {@code
 * ["001004","2024-01-02"]}), so equal keys are equal strings whatever the input format. The row
 * is kept as the canonical JSON members of the row's columns (without braces): it was parsed once
 * when decoded and is written to staging as it is, never parsed again.
 */
public final class Change {
  private final String table;
  private final ChangeOp op;
  private final String key;
  private final Sequence sequence;
  private final String rowJson;

  public Change(String table, ChangeOp op, String key, Sequence sequence, String rowJson) {
    this.table = Objects.requireNonNull(table, "table");
    this.op = Objects.requireNonNull(op, "op");
    this.key = Objects.requireNonNull(key, "key");
    this.sequence = Objects.requireNonNull(sequence, "sequence");
    this.rowJson = Objects.requireNonNull(rowJson, "rowJson");
  }

  public String table() {
    return table;
  }

  public ChangeOp op() {
    return op;
  }

  public String key() {
    return key;
  }

  public Sequence sequence() {
    return sequence;
  }

  /** The row's columns as JSON object members, e.g. {@code "id":1,"name":"x"}. */
  public String rowJson() {
    return rowJson;
  }

  /**
   * Whether this change wins over another change to the same key: the higher sequence wins. At an
   * equal sequence an UPSERT wins over a DELETE (a key swap inside one source transaction leaves
   * the row at the key), and between two UPSERTs the larger row text wins, so the outcome never
   * depends on the order the changes arrived in.
   */
  public boolean supersedes(Change other) {
    int c = sequence.compareTo(other.sequence);
    if (c != 0) {
      return c > 0;
    }
    if (op != other.op) {
      return op == ChangeOp.UPSERT;
    }
    return rowJson.compareTo(other.rowJson) > 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Change c
        && c.table.equals(table)
        && c.op == op
        && c.key.equals(key)
        && c.sequence.equals(sequence)
        && c.rowJson.equals(rowJson);
  }

  @Override
  public int hashCode() {
    return Objects.hash(table, op, key, sequence, rowJson);
  }

  @Override
  public String toString() {
    return table + " " + op + " " + key + " @" + sequence + " {" + rowJson + "}";
  }
}
