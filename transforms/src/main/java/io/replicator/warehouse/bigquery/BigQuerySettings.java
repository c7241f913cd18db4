package io.replicator.warehouse.bigquery;

import io.replicator.merge.TableLayout;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how the BigQuery target runs its jobs.
 *
 * @param location the dataset's location ({@code US}, {@code europe-west1}); jobs run there
 * @param jobLabels labels set on every job, for billing reports
 * @param endpoint the API's root URL, or null for {@code https://bigquery.googleapis.com/}; a plain
 *     {@code http://} loopback endpoint (an emulator, a test) is called without credentials
 * @param maxAttempts how often a job or call is tried when BigQuery answers with a retryable error
 * @param initialBackoffMillis the first wait between tries; each next one doubles, up to a minute
 * @param cdc changes are written through the Storage Write API as BigQuery CDC upserts and deletes
 *     instead of staged and merged
 * @param maxStalenessSeconds with {@code cdc}: how stale a query of the target may be (its
 *     {@code max_staleness}), which lets BigQuery apply changes in the background
 */
public record BigQuerySettings(
    String project, String dataset, String location, Map<String, String> jobLabels, TableLayout layout,
    String endpoint, int maxAttempts, long initialBackoffMillis, boolean cdc, long maxStalenessSeconds)
    implements Serializable {

  public BigQuerySettings {
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(dataset, "dataset");
    jobLabels = Map.copyOf(jobLabels);
    Objects.requireNonNull(layout, "layout");
  }

  /** {@code PROJECT.DATASET} with defaults for everything else. */
  public static BigQuerySettings parse(String projectDotDataset) {
    int dot = projectDotDataset.lastIndexOf('.');
    if (dot <= 0 || dot == projectDotDataset.length() - 1) {
      throw new IllegalArgumentException("--warehouse=bigquery:" + projectDotDataset
          + " must name PROJECT.DATASET, e.g. bigquery:my-project.replica");
    }
    String dataset = projectDotDataset.substring(dot + 1);
    if (!dataset.matches("[A-Za-z0-9_]{1,1024}")) {
      throw new IllegalArgumentException("--warehouse=bigquery:" + projectDotDataset + ": dataset '" + dataset
          + "' may hold only letters, digits and underscores");
    }
    return new BigQuerySettings(projectDotDataset.substring(0, dot), dataset, null, Map.of(), TableLayout.DEFAULT,
        null, 8, 1000, false, 15 * 60);
  }

  /**
   * Parses {@code key=value,key=value}; keys and values as BigQuery allows them (lower-case
   * letters, digits, {@code _} and {@code -}, at most 63 characters, keys starting with a letter).
   */
  public static Map<String, String> parseLabels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return labels;
    }
    for (String pair : text.split(",")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
      String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
      if (!key.matches("\\p{Ll}[\\p{Ll}\\p{N}_-]{0,62}") || !value.matches("[\\p{Ll}\\p{N}_-]{0,63}")) {
        throw new IllegalArgumentException("--bigQueryJobLabels: '" + pair.trim()
            + "' is not key=value in lower-case letters, digits, '_' and '-' (keys start with a letter)");
      }
      labels.put(key, value);
    }
    return labels;
  }

  public BigQuerySettings withLocation(String location) {
    return new BigQuerySettings(project, dataset, blankToNull(location), jobLabels, layout, endpoint, maxAttempts,
        initialBackoffMillis, cdc, maxStalenessSeconds);
  }

  public BigQuerySettings withJobLabels(Map<String, String> labels) {
    return new BigQuerySettings(project, dataset, location, labels, layout, endpoint, maxAttempts, initialBackoffMillis, cdc, maxStalenessSeconds);
  }

  public BigQuerySettings withLayout(TableLayout layout) {
    return new BigQuerySettings(project, dataset, location, jobLabels, layout, endpoint, maxAttempts, initialBackoffMillis, cdc, maxStalenessSeconds);
  }

  public BigQuerySettings withEndpoint(String endpoint) {
    String e = blankToNull(endpoint);
    if (e != null && !e.endsWith("/")) {
      e = e + "/";
    }
    return new BigQuerySettings(project, dataset, location, jobLabels, layout, e, maxAttempts, initialBackoffMillis, cdc, maxStalenessSeconds);
  }

  public BigQuerySettings withRetries(int maxAttempts, long initialBackoffMillis) {
    return new BigQuerySettings(project, dataset, location, jobLabels, layout, endpoint, maxAttempts, initialBackoffMillis, cdc, maxStalenessSeconds);
  }

  /** Writes changes as BigQuery CDC upserts and deletes, with this {@code max_staleness}. */
  public BigQuerySettings withCdc(long maxStalenessSeconds) {
    return new BigQuerySettings(project, dataset, location, jobLabels, layout, endpoint, maxAttempts,
        initialBackoffMillis, true, maxStalenessSeconds);
  }

  /** Parses a staleness such as {@code 15m}, {@code 1h}, {@code 90s} or {@code 0}, in seconds. */
  public static long parseStaleness(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})\\s*(s|m|min|h|d)?").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("--maxStaleness='" + text + "' is not a duration such as 15m, 1h, 90s or 0");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? (n == 0 ? "s" : "") : m.group(2);
    return switch (unit) {
      case "s" -> n;
      case "m", "min" -> n * 60;
      case "h" -> n * 3600;
      case "d" -> n * 86400;
      default -> throw new IllegalArgumentException(
          "--maxStaleness='" + text + "' needs a unit: s, m, h or d (15m, 1h)");
    };
  }

  /** An emulator or test server on this machine: called without credentials. */
  public boolean isLocalEndpoint() {
    if (endpoint == null) {
      return false;
    }
    String e = endpoint.toLowerCase(Locale.ROOT);
    return e.startsWith("http://127.0.0.1") || e.startsWith("http://localhost") || e.startsWith("http://[::1]");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public String toString() {
    return project + "." + dataset;
  }
}
