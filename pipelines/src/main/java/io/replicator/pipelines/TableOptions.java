package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The target table: its name, key and schema, and how deletes are applied. */
public interface TableOptions extends PipelineOptions {
  @Description("Target table name in the warehouse. A stream may carry several: see --tables.")
  @TemplateParameter(label = "Target table", regexes = "^[^_\\s][^\\s]*$")
  String getTable();

  void setTable(String value);

  @Description("Key columns of the table, in order, comma separated (e.g. gvkey,datadate). Optional with"
      + " --jdbcTable (its primary key).")
  @TemplateParameter(label = "Key columns", regexes = "^[^,\\s]+(,[^,\\s]+)*$")
  String getKeys();

  void setKeys(String value);

  @Description("BigQuery JSON schema file of the table: [{\"name\",\"type\",\"mode\"}, ...]."
      + " Optional with --jdbcUrl (read from the database).")
  @TemplateParameter(label = "Table schema file", type = "GCS_READ_FILE")
  String getSchema();

  void setSchema(String value);

  @Description("hard: deleted rows go (their keys and sequences are kept as tombstones). soft: they stay"
      + " with _is_deleted = true.")
  @Default.String("hard")
  @TemplateParameter(label = "Delete mode", regexes = "^(hard|soft)$")
  String getDeletes();

  void setDeletes(String value);
}
