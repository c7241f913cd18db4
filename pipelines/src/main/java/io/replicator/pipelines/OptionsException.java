package io.replicator.pipelines;

/** Options that cannot run: the message names the option and what is wrong. Exit code 2. */
public final class OptionsException extends RuntimeException {
  public OptionsException(String message) {
    super(message);
  }
}
