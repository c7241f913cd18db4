package io.replicator.source;

import java.io.EOFException;
import java.io.IOException;

/**
 * An input file that cannot be read to its end (a truncated compressed file, a read error): the run
 * stops, naming the file, rather than take the lines before the break as the whole file.
 */
public final class UnreadableFileException extends IOException {
  public UnreadableFileException(String file, IOException cause) {
    super("cannot read " + file + ": " + (cause instanceof EOFException
        ? "it ends in the middle of its data (a truncated or partly written file?)"
        : String.valueOf(cause.getMessage() == null ? cause : cause.getMessage())), cause);
  }
}
