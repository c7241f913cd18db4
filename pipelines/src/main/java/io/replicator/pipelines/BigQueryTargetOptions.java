package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** A BigQuery target: its jobs, write method, partitioning and clustering. */
public interface BigQueryTargetOptions extends PipelineOptions {
  @Description("BigQuery: labels for every job, as key=value,key=value (lower case), for billing reports.")
  @TemplateParameter(label = "BigQuery job labels",
      regexes = "^\\p{Ll}[\\p{Ll}\\p{N}_-]{0,62}=[\\p{Ll}\\p{N}_-]{0,63}(,\\p{Ll}[\\p{Ll}\\p{N}_-]{0,62}=[\\p{Ll}\\p{N}_-]{0,63})*$")
  String getBigQueryJobLabels();

  void setBigQueryJobLabels(String value);

  @Description("BigQuery: the API's root URL, for a private endpoint or an emulator. Default: Google's.")
  @TemplateParameter(label = "BigQuery API endpoint", regexes = "^https?://\\S+$")
  String getBigQueryEndpoint();

  void setBigQueryEndpoint(String value);

  @Description("BigQuery: merge (stage each batch, load it, MERGE it in a transaction) or cdc (write"
      + " changes through the Storage Write API as BigQuery CDC upserts and deletes by primary key).")
  @Default.String("merge")
  @TemplateParameter(label = "BigQuery write method", regexes = "^(merge|cdc)$")
  String getBigQueryWriteMethod();

  void setBigQueryWriteMethod(String value);

  @Description("BigQuery cdc: the max_staleness of a new target (15m, 1h, 0): how stale a query may be,"
      + " which lets BigQuery apply changes in the background.")
  @Default.String("15m")
  @TemplateParameter(label = "CDC max staleness", regexes = "^[0-9]{1,9}(s|m|min|h|d)?$")
  String getMaxStaleness();

  void setMaxStaleness(String value);

  @Description("BigQuery: the column a new target is partitioned by (DATE, DATETIME and TIMESTAMP by day;"
      + " INT64 by --partitionRange).")
  @TemplateParameter(label = "Partition column")
  String getPartitionField();

  void setPartitionField(String value);

  @Description("BigQuery: START,END,INTERVAL of an INT64 --partitionField.")
  @TemplateParameter(label = "Integer partition range", regexes = "^-?[0-9]+,-?[0-9]+,[0-9]+$")
  String getPartitionRange();

  void setPartitionRange(String value);

  @Description("BigQuery: the partition column never changes for a key, so each MERGE reads only the"
      + " partitions its batch touches (always so when the column is part of the key).")
  @Default.Boolean(false)
  @TemplateParameter(label = "Partition column never changes", regexes = "^(true|false)$")
  Boolean getPartitionFieldImmutable();

  void setPartitionFieldImmutable(Boolean value);

  @Description("BigQuery: up to four columns a new target is clustered by, comma-separated. Default: the key.")
  @TemplateParameter(label = "Clustering columns")
  String getClusterFields();

  void setClusterFields(String value);
}
