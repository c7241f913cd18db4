package io.replicator.warehouse;

import io.replicator.common.LocalFiles;
import io.replicator.warehouse.bigquery.BigQuerySettings;
import io.replicator.warehouse.bigquery.BigQueryWarehouse;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import io.replicator.warehouse.spi.Warehouse;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * Where the pipeline writes, from {@code --warehouse}: {@code duckdb:PATH} is an embedded DuckDB
 * database file (created when missing); {@code bigquery:PROJECT.DATASET} is a BigQuery dataset.
 */
public final class WarehouseSpec implements Serializable {
  private final String kind;
  private final String location;
  private final BigQuerySettings bigQuery;
  /** How long a DuckDB open waits while another process holds the file. */
  private final Duration lockTimeout;

  private WarehouseSpec(String kind, String location, BigQuerySettings bigQuery, Duration lockTimeout) {
    this.kind = kind;
    this.location = location;
    this.bigQuery = bigQuery;
    this.lockTimeout = lockTimeout;
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
      return new WarehouseSpec(kind, Path.of(location).toAbsolutePath().normalize().toString(), null,
          DuckDbWarehouse.LOCK_WAIT);
    }
    if (kind.equals("bigquery")) {
      return new WarehouseSpec(kind, location, BigQuerySettings.parse(location), DuckDbWarehouse.LOCK_WAIT);
    }
    throw new IllegalArgumentException(
        "--warehouse='" + spec + "' names an unknown warehouse (expected duckdb:PATH or bigquery:PROJECT.DATASET)");
  }

  /** A BigQuery warehouse with its settings changed by {@code change}; other kinds are returned as they are. */
  public WarehouseSpec withBigQuery(UnaryOperator<BigQuerySettings> change) {
    return bigQuery == null ? this : new WarehouseSpec(kind, location, change.apply(bigQuery), lockTimeout);
  }

  /** How long opening a DuckDB file waits while another process holds it (BigQuery: no effect). */
  public WarehouseSpec withLockTimeout(Duration timeout) {
    return new WarehouseSpec(kind, location, bigQuery, timeout);
  }

  /** The BigQuery settings, or null for another warehouse. */
  public BigQuerySettings bigQuery() {
    return bigQuery;
  }

  public String kind() {
    return kind;
  }

  public String location() {
    return location;
  }

  /**
   * Why batches cannot be staged at {@code staging} for this warehouse, or null when they can:
   * DuckDB reads them from this machine's disk, BigQuery load jobs from Cloud Storage.
   */
  public String stagingProblem(String staging) {
    boolean local = LocalFiles.isLocal(staging);
    if (kind.equals("duckdb") && !local) {
      return "the DuckDB warehouse reads staged batches from the local disk; give a local directory";
    }
    if (kind.equals("bigquery") && !staging.startsWith("gs://") && !bigQuery.isLocalEndpoint()) {
      return "BigQuery load jobs read staged batches from Cloud Storage; give gs://BUCKET/PREFIX";
    }
    return null;
  }

  /**
   * Whether the warehouse runs one merge at a time: a DuckDB file has one writer, and there one
   * transaction at a time. BigQuery runs a run's merges side by side.
   */
  public boolean mergesOneAtATime() {
    return bigQuery == null;
  }

  public Warehouse open() {
    return bigQuery != null ? BigQueryWarehouse.open(bigQuery) : DuckDbWarehouse.open(Path.of(location), lockTimeout);
  }

  @Override
  public String toString() {
    return kind + ":" + location;
  }
}
