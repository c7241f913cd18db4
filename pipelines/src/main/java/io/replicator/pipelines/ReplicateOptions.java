package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * Options of the {@code replicate} pipeline. Each one is also a Flex Template parameter in
 * {@code flex-templates/replicate/metadata.json}, which a test keeps in step with this interface.
 */
public interface ReplicateOptions extends PipelineOptions, ThroughputOptions, StreamingOptions {
  @Description("Target table name in the warehouse. A stream may carry several: see --tables.")
  String getTable();

  void setTable(String value);

  @Description("Key columns of the table, in order, comma separated (e.g. gvkey,datadate). Optional with"
      + " --jdbcTable (its primary key).")
  String getKeys();

  void setKeys(String value);

  @Description("BigQuery JSON schema file of the table: [{\"name\",\"type\",\"mode\"}, ...]."
      + " Optional with --jdbcUrl (read from the database).")
  String getSchema();

  void setSchema(String value);

  @Description("File pattern of change events (local, gs:// or s3://; .gz and other compressions are read).")
  String getChanges();

  void setChanges(String value);

  @Description("Format of the change events: native (columns plus _op, _sequence_num, _before_<key>) or debezium."
      + " Default: native, and debezium for --streaming.")
  String getChangeFormat();

  void setChangeFormat(String value);

  @Description("File pattern of snapshot rows.")
  String getSnapshot();

  void setSnapshot(String value);

  @Description("Format of the snapshot rows: jsonl (one JSON object per line) or csv (with a header line).")
  @Default.String("jsonl")
  String getSnapshotFormat();

  void setSnapshotFormat(String value);

  @Description("The _sequence_num every snapshot row gets. Default: one above the highest in the target"
      + " (a re-run of an unfinished reload of the same files takes the sequence it started with).")
  Long getSnapshotSequence();

  void setSnapshotSequence(Long value);

  @Description("merge: snapshot rows are merged into the table. replace: a full-table reload; rows older"
      + " than the reload that it does not contain are removed.")
  @Default.String("merge")
  String getSnapshotMode();

  void setSnapshotMode(String value);

  @Description("A reload (--snapshotMode=replace) that would remove more than this percent of the live"
      + " rows stops with an error and removes nothing.")
  @Default.Double(50)
  Double getMaxReloadDeletePercent();

  void setMaxReloadDeletePercent(Double value);

  @Description("JDBC URL of a source database to read a snapshot from, e.g."
      + " jdbc:postgresql://host:5432/db. Never put a password in it: use --jdbcPasswordEnv or --jdbcPasswordFile.")
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Source table, schema-qualified (public.spind_dly). Its columns and primary key give the"
      + " schema and keys unless --schema or --keys are given.")
  String getJdbcTable();

  void setJdbcTable(String value);

  @Description("A query to read instead of a table (needs --keys).")
  String getJdbcQuery();

  void setJdbcQuery(String value);

  @Description("Database user.")
  String getJdbcUser();

  void setJdbcUser(String value);

  @Description("Name of an environment variable holding the database password.")
  String getJdbcPasswordEnv();

  void setJdbcPasswordEnv(String value);

  @Description("File whose first line is the database password (local, gs://, s3://).")
  String getJdbcPasswordFile();

  void setJdbcPasswordFile(String value);

  @Description("Key ranges read in parallel. Default: one per 250,000 rows of the table's statistics.")
  Integer getJdbcPartitions();

  void setJdbcPartitions(Integer value);

  @Description("Rows fetched per round trip.")
  @Default.Integer(10_000)
  Integer getJdbcFetchSize();

  void setJdbcFetchSize(Integer value);

  @Description("Directory for staged JSONL batches (any Beam filesystem path; local for DuckDB).")
  @Validation.Required
  String getStaging();

  void setStaging(String value);

  @Description("The warehouse: duckdb:PATH for an embedded DuckDB database file, or bigquery:PROJECT.DATASET.")
  @Validation.Required
  String getWarehouse();

  void setWarehouse(String value);

  @Description("BigQuery: labels for every job, as key=value,key=value (lower case), for billing reports.")
  String getBigQueryJobLabels();

  void setBigQueryJobLabels(String value);

  @Description("BigQuery: the API's root URL, for a private endpoint or an emulator. Default: Google's.")
  String getBigQueryEndpoint();

  void setBigQueryEndpoint(String value);

  @Description("BigQuery: merge (stage each batch, load it, MERGE it in a transaction) or cdc (write"
      + " changes through the Storage Write API as BigQuery CDC upserts and deletes by primary key).")
  @Default.String("merge")
  String getBigQueryWriteMethod();

  void setBigQueryWriteMethod(String value);

  @Description("BigQuery cdc: the max_staleness of a new target (15m, 1h, 0): how stale a query may be,"
      + " which lets BigQuery apply changes in the background.")
  @Default.String("15m")
  String getMaxStaleness();

  void setMaxStaleness(String value);

  @Description("BigQuery: the column a new target is partitioned by (DATE, DATETIME and TIMESTAMP by day;"
      + " INT64 by --partitionRange).")
  String getPartitionField();

  void setPartitionField(String value);

  @Description("BigQuery: START,END,INTERVAL of an INT64 --partitionField.")
  String getPartitionRange();

  void setPartitionRange(String value);

  @Description("BigQuery: the partition column never changes for a key, so each MERGE reads only the"
      + " partitions its batch touches (always so when the column is part of the key).")
  @Default.Boolean(false)
  Boolean getPartitionFieldImmutable();

  void setPartitionFieldImmutable(Boolean value);

  @Description("BigQuery: up to four columns a new target is clustered by, comma-separated. Default: the key.")
  String getClusterFields();

  void setClusterFields(String value);

  @Description("Directory for dead letters (rejected input, as JSONL). Default: <staging>/dead-letters.")
  String getDeadLetter();

  void setDeadLetter(String value);

  @Description("hard: deleted rows go (their keys and sequences are kept as tombstones). soft: they stay"
      + " with _is_deleted = true.")
  @Default.String("hard")
  String getDeletes();

  void setDeletes(String value);

  @Description("Largest staged batch, e.g. 256MB, 64KB, 1GB (powers of 1024).")
  @Default.String("256MB")
  String getBatchMaxBytes();

  void setBatchMaxBytes(String value);

  @Description("Most rows in one staged batch.")
  @Default.Long(5_000_000L)
  Long getBatchMaxRows();

  void setBatchMaxRows(Long value);

  @Description("After the run, compare the snapshot's source with the target: row counts and fingerprints"
      + " per group of keys, the keys that differ in a report under --staging. Exit code 3 when they differ.")
  @Default.Boolean(false)
  Boolean getVerify();

  void setVerify(Boolean value);

  @Description("Streaming (--streaming): the source tables whose change events to replicate, comma"
      + " separated, each as its target is named (orders) or qualified as at the source (inventory.orders);"
      + " * and ? match any tables (inventory.*). Their columns and keys are read from --jdbcUrl. One table"
      + " may instead be given by --table, --schema and --keys.")
  String getTables();

  void setTables(String value);

  @Description("Streaming: Kafka bootstrap servers (host:port,...) to read Debezium change events from.")
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String value);

  @Description("Streaming: Kafka topics to read, comma separated.")
  String getKafkaTopics();

  void setKafkaTopics(String value);

  @Description("Streaming: a Java regular expression; every Kafka topic matching it is read, later ones too.")
  String getKafkaTopicPattern();

  void setKafkaTopicPattern(String value);

  @Description("Streaming: the Kafka consumer group. Reading starts at its committed offsets, and offsets are"
      + " committed to it once the changes before them are merged.")
  @Default.String("replicator")
  String getKafkaGroup();

  void setKafkaGroup(String value);

  @Description("Streaming: a Pub/Sub subscription (projects/<project>/subscriptions/<name>) to read Debezium"
      + " change events from; each message is acknowledged once its change is merged.")
  String getPubsubSubscription();

  void setPubsubSubscription(String value);

  @Description("Streaming: changes are merged in batches per table every interval (e.g. 60s, 5m); a batch"
      + " is also cut at --batchMaxBytes.")
  @Default.String("60s")
  String getLoadInterval();

  void setLoadInterval(String value);

  @Description("Streaming with --changes: how often to look for new files (e.g. 10s, 1m).")
  @Default.String("10s")
  String getWatchInterval();

  void setWatchInterval(String value);

  @Description("Streaming on this machine: stop after this long (e.g. 10m) and print the summary. Default:"
      + " run until stopped.")
  String getStreamFor();

  void setStreamFor(String value);

  @Description("Keep staged batch files after they are merged.")
  @Default.Boolean(false)
  Boolean getKeepStaging();

  void setKeepStaging(Boolean value);
}
