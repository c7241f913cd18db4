package io.replicator.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A rate in bytes per second, parsed from {@code 1GB/h}, {@code 50MB/s}, {@code 500KB/min}. */
public final class Throughput {
  private static final Pattern RATE = Pattern.compile("\\s*([^/]+)/\\s*(s|sec|second|m|min|minute|h|hour|d|day)\\s*",
      Pattern.CASE_INSENSITIVE);

  private Throughput() {}

  public static double bytesPerSecond(String text) {
    Matcher m = RATE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a rate (examples: 1GB/h, 50MB/s, 500KB/min)");
    }
    long bytes = ByteSize.parse(m.group(1));
    int seconds = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "s", "sec", "second" -> 1;
      case "m", "min", "minute" -> 60;
      case "h", "hour" -> 3600;
      default -> 86400;
    };
    return (double) bytes / seconds;
  }
}
