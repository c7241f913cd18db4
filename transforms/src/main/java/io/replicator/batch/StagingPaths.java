package io.replicator.batch;

import io.replicator.common.LocalFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/** Where batches are staged: {@code <staging>/<table>/<batch id>/batch.jsonl}. */
public final class StagingPaths {
  private StagingPaths() {}

  public static ResourceId batchFile(String staging, String table, String batchId) {
    return FileSystems.matchNewResource(staging, true)
        .resolve(safeName(table), StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve(batchId, StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve("batch.jsonl", StandardResolveOptions.RESOLVE_FILE);
  }

  /** Where a reload at {@code sequence} stages the keys of its rejected lines, which it keeps. */
  public static ResourceId keptKeysFile(String staging, String table, long sequence) {
    return FileSystems.matchNewResource(staging, true)
        .resolve(safeName(table), StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve("reload-" + sequence, StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve("kept-keys.jsonl", StandardResolveOptions.RESOLVE_FILE);
  }

  /**
   * Removes a staged file, and its local directory once empty (object stores have none); a file
   * already gone is fine (a retried clean-up).
   */
  public static void delete(String file) throws IOException {
    FileSystems.delete(
        List.of(FileSystems.matchNewResource(file, false)), StandardMoveOptions.IGNORE_MISSING_FILES);
    if (!LocalFiles.isLocal(file)) {
      return;
    }
    try {
      Path dir = LocalFiles.pathOf(file).getParent();
      if (dir != null) {
        Files.deleteIfExists(dir);
      }
    } catch (IOException | RuntimeException e) {
      // Not empty (someone else's file) or already gone: leave it.
    }
  }

  /** The table's staging directory, {@code <staging>/<table>/}. */
  static String tableDirectory(String staging, String table) {
    return FileSystems.matchNewResource(staging, true)
        .resolve(safeName(table), StandardResolveOptions.RESOLVE_DIRECTORY).toString();
  }

  /**
   * A directory of its own for one read's spill files ({@link SpillBatches}), under the table's
   * staging directory.
   */
  public static String spillDirectory(String staging, String table) {
    return FileSystems.matchNewResource(staging, true)
        .resolve(safeName(table), StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve("spill-" + java.util.UUID.randomUUID(), StandardResolveOptions.RESOLVE_DIRECTORY)
        .toString();
  }

  /** Removes a spill file, and its batch's and its read's local directories once empty. */
  static void deleteSpill(String file) throws IOException {
    delete(file);
    if (!LocalFiles.isLocal(file)) {
      return;
    }
    try {
      Path dir = LocalFiles.pathOf(file).getParent();
      if (dir != null && dir.getParent() != null) {
        Files.deleteIfExists(dir.getParent());
      }
    } catch (IOException | RuntimeException e) {
      // Another batch's directory is still there: the last batch removes it.
    }
  }

  /** A table name as one path segment: letters, digits, '_' and '-' kept, others %-escaped. */
  static String safeName(String table) {
    StringBuilder sb = new StringBuilder();
    for (byte b : table.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        sb.append(c);
      } else {
        sb.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return sb.toString();
  }
}
