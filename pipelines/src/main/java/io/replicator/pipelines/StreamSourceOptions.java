package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** A stream of change events: Kafka, Pub/Sub or file drops, and its windows. */
public interface StreamSourceOptions extends PipelineOptions {
  @Description("Streaming (--streaming), or a run through a replication slot (--slot): the source tables"
      + " whose changes to replicate, comma separated, each as its target is named (orders) or qualified as at"
      + " the source (inventory.orders); * and ? match any tables (inventory.*). Their columns and keys are read"
      + " from --jdbcUrl. One table may instead be given by --table, --schema and --keys.")
  @TemplateParameter(label = "Tables (streaming, or a slot's)", regexes = "^[^\\s,]+(,[^\\s,]+)*$")
  String getTables();

  void setTables(String value);

  @Description("Streaming: Kafka bootstrap servers (host:port,...) to read Debezium change events from.")
  @TemplateParameter(label = "Kafka bootstrap servers", regexes = "^[^\\s,]+:\\d+(,[^\\s,]+:\\d+)*$")
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String value);

  @Description("Streaming: Kafka topics to read, comma separated.")
  @TemplateParameter(label = "Kafka topics", regexes = "^[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*$")
  String getKafkaTopics();

  void setKafkaTopics(String value);

  @Description("Streaming: a Java regular expression; every Kafka topic matching it is read, later ones too.")
  @TemplateParameter(label = "Kafka topic pattern")
  String getKafkaTopicPattern();

  void setKafkaTopicPattern(String value);

  @Description("Streaming: the Kafka consumer group. Reading starts at its committed offsets, and offsets are"
      + " committed to it once the changes before them are merged.")
  @Default.String("replicator")
  @TemplateParameter(label = "Kafka consumer group")
  String getKafkaGroup();

  void setKafkaGroup(String value);

  @Description("Streaming: a Pub/Sub subscription (projects/<project>/subscriptions/<name>) to read Debezium"
      + " change events from; each message is acknowledged once its change is merged.")
  @TemplateParameter(label = "Pub/Sub subscription", regexes = "^projects/[^/]+/subscriptions/[^/]+$")
  String getPubsubSubscription();

  void setPubsubSubscription(String value);

  @Description("Streaming: changes are merged in batches per table every interval (e.g. 60s, 5m); a batch"
      + " is also cut at --batchMaxBytes.")
  @Default.String("60s")
  @TemplateParameter(label = "Load interval (streaming)", regexes = "^\\d{1,9}\\s*(ms|s|m|min|h|d)$")
  String getLoadInterval();

  void setLoadInterval(String value);

  @Description("Streaming from Kafka or Pub/Sub: how long the half of a key change the connector split (a"
      + " delete and a create marked by its __debezium.newkey/oldkey headers) waits for the other half, with"
      + " its keys' later changes, before going on alone (e.g. 10m, 1h); while it waits, its partition's"
      + " offset is not committed past it. 0s: no pairing, each change goes straight to its window.")
  @Default.String("1h")
  @TemplateParameter(label = "Key change pairing wait (streaming)", regexes = "^\\d{1,9}\\s*(ms|s|m|min|h|d)$")
  String getKeyChangePairWait();

  void setKeyChangePairWait(String value);

  @Description("Streaming with --changes or --slot: how often to look for new files, or for changes in the slot"
      + " (e.g. 10s, 1m).")
  @Default.String("10s")
  @TemplateParameter(label = "Watch interval (streaming files)", regexes = "^\\d{1,9}\\s*(ms|s|m|min|h|d)$")
  String getWatchInterval();

  void setWatchInterval(String value);

  @Description("Streaming on this machine: stop after this long (e.g. 10m) and print the summary. Default:"
      + " run until stopped.")
  @TemplateParameter(label = "Stream for (local runs)", regexes = "^\\d{1,9}\\s*(ms|s|m|min|h|d)$")
  String getStreamFor();

  void setStreamFor(String value);
}
