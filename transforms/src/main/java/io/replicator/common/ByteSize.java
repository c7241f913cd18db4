package io.replicator.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses sizes such as {@code 256MB}, {@code 64KiB}, {@code 1.5GB} or {@code 1000} (bytes). */
public final class ByteSize {
  private static final Pattern SIZE =
      Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?B)?\\s*", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /** Units are powers of 1024: KB and KiB are both 1024 bytes. */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 256MB, 64KB, 1GB, 1048576)");
    }
    double number = Double.parseDouble(m.group(1));
    String unit = m.group(2).toUpperCase(Locale.ROOT);
    int power = unit.isEmpty() ? 0 : "KMGT".indexOf(unit) + 1;
    double bytes = number * Math.pow(1024, power);
    if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("'" + text + "' is out of range for a size");
    }
    return (long) bytes;
  }

  /** A short human form, e.g. {@code 12.3 MB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KB", "MB", "GB", "TB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
