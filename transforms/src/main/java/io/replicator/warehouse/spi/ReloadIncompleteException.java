package io.replicator.warehouse.spi;

/**
 * A reload that applied its rows but removed none: some rejected snapshot line had no readable
 * key, so the reload cannot tell which rows are gone from the source and which are that line's.
 */
public final class ReloadIncompleteException extends RuntimeException {
  public ReloadIncompleteException(String message) {
    super(message);
  }
}
