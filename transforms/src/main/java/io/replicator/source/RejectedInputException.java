package io.replicator.source;

/** An input line or record that cannot become a change; the message is the dead letter's reason. */
public final class RejectedInputException extends Exception {
  public RejectedInputException(String reason) {
    super(reason, null, false, false); // Thrown per bad line: no stack trace to fill.
  }
}
