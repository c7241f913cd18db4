package io.replicator.pipelines;

/** The source database could not be read at launch; the message says which and why. Exit code 1. */
public final class SourceException extends RuntimeException {
  public SourceException(String message) {
    super(message);
  }
}
