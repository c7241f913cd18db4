package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** A source database, read over JDBC. */
public interface JdbcSourceOptions extends PipelineOptions {
  @Description("JDBC URL of a source database to read a snapshot from, e.g."
      + " jdbc:postgresql://host:5432/db. Never put a password in it: use --jdbcPasswordEnv or --jdbcPasswordFile.")
  @TemplateParameter(label = "Source database JDBC URL", regexes = "^jdbc:[a-z0-9]+:.+$")
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Source table, schema-qualified (public.spind_dly). Its columns and primary key give the"
      + " schema and keys unless --schema or --keys are given.")
  @TemplateParameter(label = "Source table")
  String getJdbcTable();

  void setJdbcTable(String value);

  @Description("A query to read instead of a table (needs --keys).")
  @TemplateParameter(label = "Source query")
  String getJdbcQuery();

  void setJdbcQuery(String value);

  @Description("Database user.")
  @TemplateParameter(label = "Database user")
  String getJdbcUser();

  void setJdbcUser(String value);

  @Description("Name of an environment variable holding the database password.")
  @TemplateParameter(label = "Password environment variable", regexes = "^[A-Za-z_][A-Za-z0-9_]*$")
  String getJdbcPasswordEnv();

  void setJdbcPasswordEnv(String value);

  @Description("File whose first line is the database password (local, gs://, s3://).")
  @TemplateParameter(label = "Password file", type = "GCS_READ_FILE")
  String getJdbcPasswordFile();

  void setJdbcPasswordFile(String value);

  @Description("Key ranges read in parallel (a batch run's read, or a --slot stream's first read of each table)."
      + " Default: one per 250,000 rows of the table's statistics.")
  @TemplateParameter(label = "Read partitions", regexes = "^[1-9][0-9]*$")
  Integer getJdbcPartitions();

  void setJdbcPartitions(Integer value);

  @Description("Rows fetched per round trip.")
  @Default.Integer(10_000)
  @TemplateParameter(label = "Rows per fetch", regexes = "^[1-9][0-9]*$")
  Integer getJdbcFetchSize();

  void setJdbcFetchSize(Integer value);
}
