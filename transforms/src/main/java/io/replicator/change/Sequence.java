package io.replicator.change;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Where a change stands in the source's commit order: one to four 64-bit parts compared in order,
 * as BigQuery's {@code _CHANGE_SEQUENCE_NUMBER} sections are. The first part is {@code
 * _sequence_num}; missing trailing parts compare as zero, so {@code 5} equals {@code 5/0}.
 */
public final class Sequence implements Comparable<Sequence>, Serializable {
  public static final int MAX_PARTS = 4;

  private final long[] parts;

  private Sequence(long[] parts) {
    this.parts = parts;
  }

  public static Sequence of(long... parts) {
    if (parts.length < 1 || parts.length > MAX_PARTS) {
      throw new IllegalArgumentException("a sequence has 1 to " + MAX_PARTS + " parts");
    }
    return new Sequence(parts.clone());
  }

  /** The sequence {@link #toString} writes ({@code 5/0/12}). */
  public static Sequence parse(String text) {
    String[] p = text.split("/");
    long[] parts = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      parts[i] = Long.parseLong(p[i]);
    }
    return of(parts);
  }

  public int width() {
    return parts.length;
  }

  /** Part {@code i} (0-based); zero past the width. */
  public long part(int i) {
    return i < parts.length ? parts[i] : 0L;
  }

  @Override
  public int compareTo(Sequence o) {
    int n = Math.max(parts.length, o.parts.length);
    for (int i = 0; i < n; i++) {
      int c = Long.compare(part(i), o.part(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sequence s && compareTo(s) == 0;
  }

  @Override
  public int hashCode() {
    int n = parts.length;
    while (n > 1 && parts[n - 1] == 0) {
      n--; // 5 and 5/0 are equal, so they hash alike.
    }
    return Arrays.hashCode(Arrays.copyOf(parts, n));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(parts[i]);
    }
    return sb.toString();
  }
}
