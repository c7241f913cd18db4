package io.replicator.source.jdbc;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A range of key values one snapshot partition reads: from {@code lower} (inclusive) to {@code
 * upper} (exclusive), compared as rows in key order; null bounds are open. The bounds are values
 * as the database returned them, bound back as parameters.
 */
public record KeyRange(Object[] lower, Object[] upper) implements Serializable {
  public static KeyRange all() {
    return new KeyRange(null, null);
  }

  @Override
  public String toString() {
    return "[" + (lower == null ? "start" : Arrays.toString(lower)) + ", "
        + (upper == null ? "end" : Arrays.toString(upper)) + ")";
  }
}
