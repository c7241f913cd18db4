package io.replicator.warehouse.spi;

/** A warehouse operation that failed; the message names the table, the batch and the cause. */
public final class WarehouseException extends RuntimeException {
  public WarehouseException(String message, Throwable cause) {
    super(message, cause);
  }

  public WarehouseException(String message) {
    super(message);
  }
}
