package io.replicator.warehouse;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Where the pipeline writes, from {@code --warehouse}: {@code duckdb:PATH} is an embedded DuckDB
 * database file (created when missing).
 */
public final class WarehouseSpec implements Serializable {
  private final String kind;
  private final String location;

  private WarehouseSpec(String kind, String location) {
    this.kind = kind;
    this.location = location;
  }

  public static WarehouseSpec parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("--warehouse is required (example: --warehouse=duckdb:local/warehouse.duckdb)");
    }
    int colon = spec.indexOf(':');
    String kind = colon < 0 ? spec : spec.substring(0, colon);
    String location = colon < 0 ? "" : spec.substring(colon + 1);
    if (kind.equals("duckdb")) {
      if (location.isBlank()) {
        throw new IllegalArgumentException("--warehouse=duckdb: needs a file path, e.g. duckdb:local/warehouse.duckdb");
      }
      return new WarehouseSpec(kind, Path.of(location).toAbsolutePath().normalize().toString());
    }
    throw new IllegalArgumentException(
        "--warehouse='" + spec + "' names an unknown warehouse (expected duckdb:PATH)");
  }

  public String kind() {
    return kind;
  }

  public String location() {
    return location;
  }

  /** Whether the warehouse reads staged files from this machine's disk (so staging must be local). */
  public boolean needsLocalStaging() {
    return kind.equals("duckdb");
  }

  public Warehouse open() {
    return DuckDbWarehouse.open(Path.of(location));
  }

  @Override
  public String toString() {
    return kind + ":" + location;
  }
}
