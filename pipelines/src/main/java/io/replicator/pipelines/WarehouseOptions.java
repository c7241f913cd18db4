package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** The warehouse the pipeline merges into. */
public interface WarehouseOptions extends PipelineOptions {
  @Description("The warehouse: duckdb:PATH for an embedded DuckDB database file, or bigquery:PROJECT.DATASET.")
  @Validation.Required
  @TemplateParameter(label = "Warehouse", regexes = "^(duckdb:.+|bigquery:\\S+\\.[A-Za-z0-9_]+)$")
  String getWarehouse();

  void setWarehouse(String value);

  @Description("A DuckDB warehouse: how long to wait while another process holds the file (another run, or"
      + " another TaskManager's merge) before failing with the holder named (e.g. 60s, 10m).")
  @Default.String("60s")
  @TemplateParameter(label = "Lock timeout (DuckDB)", regexes = "^\\d{1,9}\\s*(ms|s|m|min|h|d)$")
  String getLockTimeout();

  void setLockTimeout(String value);
}
