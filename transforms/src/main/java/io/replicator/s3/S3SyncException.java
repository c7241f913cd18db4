package io.replicator.s3;

/** A sync step that cannot go on; the message names the location, the endpoint and the cause. */
public final class S3SyncException extends RuntimeException {
  public S3SyncException(String message, Throwable cause) {
    super(message, cause);
  }

  public S3SyncException(String message) {
    super(message);
  }
}
