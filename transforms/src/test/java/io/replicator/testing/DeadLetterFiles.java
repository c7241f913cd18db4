package io.replicator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The dead letters a run wrote into one directory, as the tests read them back. */
public final class DeadLetterFiles {
  private DeadLetterFiles() {}

  /** Every line of every file in {@code directory}, in listing order; none when it was never made. */
  public static List<String> linesIn(Path directory) throws IOException {
    List<String> lines = new ArrayList<>();
    if (Files.isDirectory(directory)) {
      try (Stream<Path> files = Files.list(directory)) {
        for (Path f : files.toList()) {
          lines.addAll(Files.readAllLines(f));
        }
      }
    }
    return lines;
  }
}
