package io.replicator.pipelines;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.joda.time.Duration;

/** Durations given as options: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 1h}, {@code 1d}. */
final class DurationOption {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|min|h|d)");

  private DurationOption() {}

  static Duration parse(String text, String option) {
    Matcher m = DURATION.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new OptionsException(option + "='" + text + "' is not a duration such as 500ms, 90s, 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.millis(n);
      case "s" -> Duration.standardSeconds(n);
      case "m", "min" -> Duration.standardMinutes(n);
      case "h" -> Duration.standardHours(n);
      default -> Duration.standardDays(n);
    };
    if (d.getMillis() == 0) {
      throw new OptionsException(option + "='" + text + "' must be longer than zero");
    }
    return d;
  }
}
