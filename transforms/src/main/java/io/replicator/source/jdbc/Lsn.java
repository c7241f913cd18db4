package io.replicator.source.jdbc;

import java.util.Locale;

/** A PostgreSQL WAL position (log sequence number) as a number, and as PostgreSQL writes it ({@code 16/B374D848}). */
public final class Lsn {
  private Lsn() {}

  public static long parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + text + "' is not an LSN");
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
  }

  public static String text(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/"
        + Long.toHexString(lsn & 0xffffffffL).toUpperCase(Locale.ROOT);
  }
}
