package io.replicator.s3;

import java.io.IOException;

/** The source of a copy is not what the listing saw (changed, replaced or removed since, or while read). */
public final class SourceChangedException extends IOException {
  public SourceChangedException(String message) {
    super(message);
  }
}
