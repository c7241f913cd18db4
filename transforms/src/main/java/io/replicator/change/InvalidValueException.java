package io.replicator.change;

/** An input value that cannot be converted to its column's type; the message says why. */
public final class InvalidValueException extends Exception {
  public InvalidValueException(String message) {
    super(message);
  }
}
