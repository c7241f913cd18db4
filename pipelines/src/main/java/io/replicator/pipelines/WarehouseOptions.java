package io.replicator.pipelines;

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
}
