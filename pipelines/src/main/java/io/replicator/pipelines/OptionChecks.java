package io.replicator.pipelines;

import io.replicator.common.LocalFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/** Small checks the plans share; each failure is an {@link OptionsException} naming the option. */
final class OptionChecks {
  private OptionChecks() {}

  /** Runs {@code s}, turning an IllegalArgumentException into a message that names {@code option}. */
  static <T> T wrap(Supplier<T> s, String option) {
    try {
      return s.get();
    } catch (OptionsException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new OptionsException(m.startsWith("--") ? m : option + ": " + m);
    }
  }

  static String require(String value, String option, String what) {
    if (value == null || value.isBlank()) {
      throw new OptionsException(option + " is required: " + what);
    }
    return value.trim();
  }

  /** Refuses each {@code {option, value}} pair that has a value, with {@code why}. */
  static void refuse(String[][] options, String why) {
    for (String[] option : options) {
      if (blankToNull(option[1]) != null) {
        throw new OptionsException(option[0] + " " + why);
      }
    }
  }

  static void requireMatches(String pattern, String option) {
    refuseDirectory(pattern, option);
    try {
      MatchResult r = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD);
      if (r.status() != MatchResult.Status.OK || r.metadata().isEmpty()) {
        throw new OptionsException(option + "=" + pattern + " matches no file");
      }
    } catch (IOException e) {
      throw new OptionsException(option + "=" + pattern + " matches no file (" + firstLine(e) + ")");
    }
  }

  /** A local directory matches nothing: say so, rather than read nothing and succeed. */
  static void refuseDirectory(String pattern, String option) {
    if (pattern != null && LocalFiles.isLocal(pattern) && java.nio.file.Files.isDirectory(LocalFiles.pathOf(pattern))) {
      throw new OptionsException(option + "=" + pattern + " is a directory: give a file pattern, e.g. "
          + trimSlash(pattern) + "/*.jsonl");
    }
  }

  static List<String> splitList(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    return e.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse("");
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  static String lower(String s) {
    return s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
  }

  static String trimSlash(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }
}
