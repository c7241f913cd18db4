package io.replicator.stream;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Commits a consumer group's offsets once the events before them are merged: for each partition,
 * the offset after the highest merged event. A restarted pipeline reads from there; events it
 * reads again are replays, which the merge's sequence guards make harmless.
 */
public final class KafkaOffsets implements ProgressCommitter {
  private final String bootstrapServers;
  private final Map<String, String> config;
  private final String group;
  private transient KafkaConsumer<byte[], byte[]> consumer;

  public KafkaOffsets(String bootstrapServers, String group, Map<String, String> config) {
    this.bootstrapServers = bootstrapServers;
    this.group = group;
    this.config = Map.copyOf(config);
  }

  @Override
  public synchronized void commit(Map<String, Long> positions, Map<String, List<String>> ackIds) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    positions.forEach((source, offset) -> {
      if (source.startsWith("kafka:")) {
        int slash = source.lastIndexOf('/');
        offsets.put(new TopicPartition(source.substring("kafka:".length(), slash),
            Integer.parseInt(source.substring(slash + 1))), new OffsetAndMetadata(offset + 1));
      }
    });
    if (offsets.isEmpty()) {
      return;
    }
    if (consumer == null) {
      Map<String, Object> c = new HashMap<>(ReadKafkaEvents.consumerConfig(group, config));
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    consumer.commitSync(offsets);
  }

  @Override
  public boolean keepsPositions() {
    return true;
  }

  @Override
  public synchronized void close() {
    if (consumer != null) {
      consumer.close();
      consumer = null;
    }
  }
}
