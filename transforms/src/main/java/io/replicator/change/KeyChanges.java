package io.replicator.change;

import java.util.function.Consumer;

/**
 * Turns a source change into the changes the merge applies. An UPDATE whose key moved becomes a
 * DELETE of the old key and an UPSERT of the new one, both at the update's sequence. After this,
 * keeping the highest sequence per key is right even for chains (k1→k2→k3), swaps and
 * away-and-back moves inside one batch.
 */
public final class KeyChanges {
  /** The ops sources speak of. */
  public enum SourceOp {
    INSERT,
    UPDATE,
    DELETE
  }

  private KeyChanges() {}

  /**
   * @param key the row's key after the change (for a DELETE, the deleted key)
   * @param beforeKey the key before an UPDATE, or null when the source did not say
   * @param rowJson the row after the change (for a DELETE, at least its key columns)
   * @param beforeKeyRowJson the before-key as row members, used when the key moved
   */
  public static void normalise(
      String table,
      SourceOp op,
      String key,
      String beforeKey,
      Sequence sequence,
      String rowJson,
      String beforeKeyRowJson,
      Consumer<Change> out) {
    normalise(table, op, key, beforeKey, sequence, rowJson, null, beforeKeyRowJson, false, out);
  }

  /**
   * As above, for an UPDATE that may leave columns unchanged ({@code unchanged}, a JSON array of
   * their names, or null).
   *
   * @param passingMoves whether a partial UPDATE that moves its key is passed on as a partial
   *     UPSERT that names the old key ({@link Change#movedFrom}), for a step that completes it from
   *     the old key's row ({@link PartialKeyMoves}); else it is refused
   * @throws IllegalArgumentException for a partial INSERT or DELETE, or (unless {@code
   *     passingMoves}) a partial UPDATE that moves its key: the unchanged values are the old key's
   *     row's, which a change of the new key does not carry
   */
  public static void normalise(
      String table,
      SourceOp op,
      String key,
      String beforeKey,
      Sequence sequence,
      String rowJson,
      String unchanged,
      String beforeKeyRowJson,
      boolean passingMoves,
      Consumer<Change> out) {
    if (unchanged != null && op != SourceOp.UPDATE) {
      throw new IllegalArgumentException("only an UPDATE leaves columns unchanged; this is an " + op);
    }
    switch (op) {
      case INSERT -> out.accept(new Change(table, ChangeOp.UPSERT, key, sequence, rowJson));
      case UPDATE -> {
        if (beforeKey != null && !beforeKey.equals(key)) {
          if (unchanged != null && passingMoves) {
            out.accept(new Change(table, ChangeOp.DELETE, beforeKey, sequence, beforeKeyRowJson));
            out.accept(new Change(table, ChangeOp.UPSERT, key, sequence, rowJson, unchanged).movedFrom(beforeKey));
            return;
          }
          if (unchanged != null) {
            throw new IllegalArgumentException("an UPDATE that moves its key from " + beforeKey + " to " + key
                + " leaves columns unchanged (" + unchanged + "): their values are the old key's row's, which"
                + " the change does not carry (REPLICA IDENTITY FULL on the source table gives them; a batch run"
                + " from files on the local runners completes them)");
          }
          out.accept(new Change(table, ChangeOp.DELETE, beforeKey, sequence, beforeKeyRowJson));
        }
        out.accept(new Change(table, ChangeOp.UPSERT, key, sequence, rowJson, unchanged));
      }
      case DELETE -> out.accept(new Change(table, ChangeOp.DELETE, key, sequence, rowJson));
    }
  }
}
