package io.replicator.stream;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads change events from Kafka topics as {@link SourceEvent}s ({@code kafka:<topic>/<partition>},
 * offset, value; whether Debezium's headers mark it as half of a split key change), stamped with
 * the time they are read. The consumer group's committed offsets are
 * where reading starts (the earliest offset where the group has none); nothing is committed
 * while reading: {@link KafkaOffsets} commits after the merge.
 *
 * <pre>{@code
 * PCollection<SourceEvent> events = p.apply(ReadKafkaEvents.from("127.0.0.1:9092", "replicator")
 *     .withTopics(List.of("dbserver1.inventory.orders")));
 * }</pre>
 */
public final class ReadKafkaEvents extends PTransform<PBegin, PCollection<SourceEvent>> {
  private final String bootstrapServers;
  private final String group;
  private final List<String> topics;
  private final String topicPattern;
  private final Map<String, String> consumerConfig;

  private ReadKafkaEvents(String bootstrapServers, String group, List<String> topics, String topicPattern,
      Map<String, String> consumerConfig) {
    this.bootstrapServers = bootstrapServers;
    this.group = group;
    this.topics = topics;
    this.topicPattern = topicPattern;
    this.consumerConfig = consumerConfig;
  }

  public static ReadKafkaEvents from(String bootstrapServers, String group) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("Kafka bootstrap servers are required");
    }
    if (group == null || group.isBlank()) {
      throw new IllegalArgumentException("a Kafka consumer group is required: progress is committed to it");
    }
    return new ReadKafkaEvents(bootstrapServers, group, null, null, Map.of());
  }

  public ReadKafkaEvents withTopics(List<String> topics) {
    return new ReadKafkaEvents(bootstrapServers, group, List.copyOf(topics), null, consumerConfig);
  }

  /** Every topic whose name matches the Java regular expression, including topics created later. */
  public ReadKafkaEvents withTopicPattern(String pattern) {
    return new ReadKafkaEvents(bootstrapServers, group, null, pattern, consumerConfig);
  }

  /** Further consumer settings (security, for instance); group and offset settings are the transform's. */
  public ReadKafkaEvents withConsumerConfig(Map<String, String> config) {
    return new ReadKafkaEvents(bootstrapServers, group, topics, topicPattern, Map.copyOf(config));
  }

  /** The consumer settings the reader and the committer share. */
  public static Map<String, Object> consumerConfig(String group, Map<String, String> extra) {
    Map<String, Object> config = new HashMap<>(extra);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return config;
  }

  @Override
  public PCollection<SourceEvent> expand(PBegin input) {
    if ((topics == null || topics.isEmpty()) && topicPattern == null) {
      throw new IllegalStateException("ReadKafkaEvents needs withTopics() or withTopicPattern()");
    }
    // Bytes, decoded here as strict UTF-8: Kafka's StringDeserializer would repair bad bytes silently.
    KafkaIO.Read<byte[], byte[]> read = KafkaIO.<byte[], byte[]>read()
        .withBootstrapServers(bootstrapServers)
        .withKeyDeserializer(ByteArrayDeserializer.class)
        .withValueDeserializer(ByteArrayDeserializer.class)
        .withConsumerConfigUpdates(consumerConfig(group, consumerConfig))
        // Windows close on time as read: a change waits at most one load interval.
        .withProcessingTime();
    read = topicPattern != null ? read.withTopicPattern(topicPattern) : read.withTopics(topics);
    return input
        .apply("Read Kafka", read)
        .apply("As events", ParDo.of(new ToEventFn()))
        .setCoder(SourceEvent.coder());
  }

  /** The source name of a partition, as {@link KafkaOffsets} reads it back. */
  static String sourceOf(String topic, int partition) {
    return "kafka:" + topic + "/" + partition;
  }

  private static final class ToEventFn extends DoFn<KafkaRecord<byte[], byte[]>, SourceEvent> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> r, OutputReceiver<SourceEvent> out) {
      SourceEvent e = SourceEvent.ofBytes(sourceOf(r.getTopic(), r.getPartition()), r.getOffset(), r.getKV().getValue(), null);
      Headers headers = r.getHeaders();
      boolean split = headers != null && (headers.lastHeader(SourceEvent.NEW_KEY_HEADER) != null
          || headers.lastHeader(SourceEvent.OLD_KEY_HEADER) != null);
      out.output(split ? e.asSplitKeyChange() : e);
    }
  }
}
