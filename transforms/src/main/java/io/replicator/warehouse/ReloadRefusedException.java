package io.replicator.warehouse;

/** A reload that would remove more of the table than the user allowed. */
public final class ReloadRefusedException extends RuntimeException {
  public ReloadRefusedException(String message) {
    super(message);
  }
}
