package io.replicator.common;

import java.nio.file.Path;

/**
 * File specs as users and Beam write them ({@code /data/x}, {@code data/x}, {@code file:///data/x},
 * {@code gs://bucket/x}), told apart as this machine's disk or another file system.
 */
public final class LocalFiles {
  private static final String FILE_SCHEME = "file://";

  private LocalFiles() {}

  /** Whether {@code spec} names this machine's disk: no scheme, or {@code file://}. */
  public static boolean isLocal(String spec) {
    return !spec.contains("://") || spec.startsWith(FILE_SCHEME);
  }

  /** The local path {@code spec} names, or null when it names another file system. */
  public static Path pathOf(String spec) {
    if (!isLocal(spec)) {
      return null;
    }
    return Path.of(spec.startsWith(FILE_SCHEME) ? spec.substring(FILE_SCHEME.length()) : spec);
  }
}
