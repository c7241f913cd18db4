package io.replicator.change;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One normalised change to one key of one table.
 *
 * <p>The key is the canonical JSON array of the key columns' values (for example {@code
 * ["001004","2024-01-02"]}), so equal keys are equal strings whatever the input format. The row
 * is kept as the canonical JSON members of the row's columns (without braces): it was parsed once
 * when decoded and is written to staging as it is, never parsed again.
 *
 * <p>An UPSERT may be partial: {@link #unchanged()} names the columns the change did not set
 * (a TOASTed column an UPDATE did not touch, say), which are distinct from NULL. Its row then holds
 * only the other columns, and the merge keeps the target's values for the unchanged ones.
 *
 * <p>A partial UPSERT may also have moved its row from another key ({@link #movedFrom()}): then its
 * unchanged columns hold the old key's values just before it, which a step that sees the old key's
 * changes completes ({@link PartialKeyMoves}) before the change is staged.
 */
public final class Change {
  /**
   * What {@link #movedFrom} says of a row whose old key the event does not name: it is the key
   * its source deleted at the very same position (Debezium's PostgreSQL connector writes a key
   * change as a delete of the old key and a create of the new one, both at the update's LSN).
   */
  public static final String DELETED_AT_SAME_POSITION = "";

  private final String table;
  private final ChangeOp op;
  private final String key;
  private final Sequence sequence;
  /** The row as text, or null while only its UTF-8 bytes are known (then made from them when asked for). */
  private String rowJson;
  /**
   * The row's UTF-8 bytes where the change was read from them (a spill file), or null: a change
   * read back to be staged is written as the bytes it was read as, never turned into text.
   */
  private final byte[] rowUtf8;
  private final String unchanged;
  private final String movedFrom;
  /** The UTF-8 length of {@link #rowJson}, computed once when first asked for (-1 until then). */
  private int rowUtf8Length = -1;

  public Change(String table, ChangeOp op, String key, Sequence sequence, String rowJson) {
    this(table, op, key, sequence, rowJson, null);
  }

  /**
   * @param unchanged the columns the change leaves as they are, as a JSON array of their names in
   *     name order ({@link UnchangedColumns#json}); null for a change that sets every column
   */
  public Change(String table, ChangeOp op, String key, Sequence sequence, String rowJson, String unchanged) {
    this(table, op, key, sequence, Objects.requireNonNull(rowJson, "rowJson"), null, unchanged, null);
  }

  private Change(String table, ChangeOp op, String key, Sequence sequence, String rowJson, byte[] rowUtf8,
      String unchanged, String movedFrom) {
    this.table = Objects.requireNonNull(table, "table");
    this.op = Objects.requireNonNull(op, "op");
    this.key = Objects.requireNonNull(key, "key");
    this.sequence = Objects.requireNonNull(sequence, "sequence");
    this.rowJson = rowJson;
    this.rowUtf8 = rowUtf8;
    if (unchanged != null && op != ChangeOp.UPSERT) {
      throw new IllegalArgumentException("only an UPSERT can leave columns unchanged");
    }
    this.unchanged = unchanged;
    if (movedFrom != null && unchanged == null) {
      throw new IllegalArgumentException("only a partial UPSERT is completed from the key it moved from");
    }
    this.movedFrom = movedFrom;
    if (rowUtf8 != null) {
      rowUtf8Length = rowUtf8.length;
    }
  }

  /** A change whose row is given as the UTF-8 bytes of its JSON members (the bytes are not copied). */
  public static Change ofUtf8Row(String table, ChangeOp op, String key, Sequence sequence, byte[] rowUtf8,
      String unchanged) {
    return ofUtf8Row(table, op, key, sequence, rowUtf8, unchanged, null);
  }

  /** As above, for a partial UPSERT that moved from the key {@code movedFrom} (or null). */
  public static Change ofUtf8Row(String table, ChangeOp op, String key, Sequence sequence, byte[] rowUtf8,
      String unchanged, String movedFrom) {
    return new Change(table, op, key, sequence, null, Objects.requireNonNull(rowUtf8, "rowUtf8"), unchanged,
        movedFrom);
  }

  /**
   * This partial UPSERT as the new row of an UPDATE that moved it from {@code oldKey}: the columns
   * it leaves unchanged are the old key's, to be completed before it is staged.
   */
  public Change movedFrom(String oldKey) {
    return new Change(table, op, key, sequence, rowJson, rowUtf8, unchanged, Objects.requireNonNull(oldKey));
  }

  /** This change without the key it moved from: a partial row completed, or left to the merge. */
  public Change withoutMove() {
    return movedFrom == null ? this : new Change(table, op, key, sequence, rowJson, rowUtf8, unchanged, null);
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
    if (rowJson == null) {
      rowJson = new String(rowUtf8, StandardCharsets.UTF_8);
    }
    return rowJson;
  }

  /** {@link #rowJson} as UTF-8 bytes; the caller must not change them. */
  public byte[] rowUtf8() {
    return rowUtf8 != null ? rowUtf8 : rowJson.getBytes(StandardCharsets.UTF_8);
  }

  /** The length of {@link #rowJson} in UTF-8 bytes. */
  public int rowUtf8Length() {
    if (rowUtf8Length < 0) {
      rowUtf8Length = (int) StagedLine.utf8Length(rowJson);
    }
    return rowUtf8Length;
  }

  /** The columns this change leaves as they are, as a JSON array of names; null when it sets them all. */
  public String unchanged() {
    return unchanged;
  }

  /**
   * The key this partial UPSERT moved its row from, whose values its unchanged columns hold; null
   * for every other change. Never staged: completed first, or the move left partial.
   */
  public String movedFrom() {
    return movedFrom;
  }

  /** Whether this change leaves some columns as they are. */
  public boolean isPartial() {
    return unchanged != null;
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
    int rows = rowJson().compareTo(other.rowJson());
    if (rows != 0) {
      return rows > 0;
    }
    return String.valueOf(unchanged).compareTo(String.valueOf(other.unchanged)) > 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Change c
        && c.table.equals(table)
        && c.op == op
        && c.key.equals(key)
        && c.sequence.equals(sequence)
        && c.rowJson().equals(rowJson())
        && Objects.equals(c.unchanged, unchanged)
        && Objects.equals(c.movedFrom, movedFrom);
  }

  @Override
  public int hashCode() {
    return Objects.hash(table, op, key, sequence, rowJson(), unchanged, movedFrom);
  }

  @Override
  public String toString() {
    return table + " " + op + " " + key + " @" + sequence + " {" + rowJson() + "}"
        + (unchanged == null ? "" : " unchanged " + unchanged) + (movedFrom == null ? "" : " moved from " + movedFrom);
  }
}
