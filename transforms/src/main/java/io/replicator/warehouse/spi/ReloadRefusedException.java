package io.replicator.warehouse.spi;

import java.util.Locale;

/** A reload that would remove more of the table than the user allowed. */
public final class ReloadRefusedException extends RuntimeException {
  public ReloadRefusedException(String message) {
    super(message);
  }

  /** The refusal of a reload of {@code table} that would remove {@code older} of {@code live} rows. */
  public static ReloadRefusedException of(String table, long older, long live, double maxDeletePercent) {
    return new ReloadRefusedException(String.format(Locale.ROOT,
        "the reload of %s would remove %d of its %d live rows (%.1f%%), more than"
            + " --maxReloadDeletePercent=%s; nothing of it was applied, the table is as it was."
            + " Check the snapshot, or run again with a higher --maxReloadDeletePercent.",
        table, older, live, older * 100.0 / live, trim(maxDeletePercent)));
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
