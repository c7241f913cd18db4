package io.replicator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Apache Kafka's own broker in KRaft mode (broker and controller in one process) on free loopback
 * ports, run as a child process from the libraries the {@code test-kafka-broker} module copies, so
 * its classpath never meets the tests'.
 */
public final class KafkaBroker implements AutoCloseable {
  private final ChildProcess process;
  private final int port;
  private final Path dir;

  private KafkaBroker(ChildProcess process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  public static KafkaBroker start() throws IOException, InterruptedException {
    String lib = System.getProperty("kafka.broker.lib");
    if (lib == null || !Files.isDirectory(Path.of(lib))) {
      throw new IllegalStateException("the Kafka broker's libraries are missing (" + lib + "); the build copies"
          + " them to test-kafka-broker/target/lib: build from the project root");
    }
    int port = ChildProcess.freePort();
    int controller = ChildProcess.freePort();
    Path dir = Files.createTempDirectory("kafka");
    Path props = dir.resolve("server.properties");
    Files.writeString(props, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controller,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        ""), StandardCharsets.UTF_8);
    String java = ChildProcess.java();
    String classpath = lib + "/*";
    Process format = new ProcessBuilder(List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "format",
        "-t", UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", props.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      format.destroyForcibly();
      throw new IllegalStateException("formatting the Kafka log directory failed: "
          + Files.readString(dir.resolve("format.log")));
    }
    ChildProcess p = ChildProcess.startJava("Kafka", List.of("-cp", classpath, "kafka.Kafka", props.toString()),
        dir.resolve("broker.log"), () -> ChildProcess.listens(port), Duration.ofSeconds(60));
    return new KafkaBroker(p, port, dir);
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  /** Sends records (key, value; a null value is a tombstone) to one partition, in order, and waits for them. */
  public void send(String topic, int partition, List<String[]> records) throws Exception {
    sendMessages(topic, partition, records.stream().map(r -> new Message(r[0], r[1], Map.of())).toList());
  }

  /** A record as a Kafka Connect worker writes it: key, value (null: a tombstone) and headers. */
  public record Message(String key, String value, Map<String, String> headers) {}

  /** Sends messages to one partition, in order, and waits for them. */
  public void sendMessages(String topic, int partition, List<Message> messages) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (Message m : messages) {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, partition, m.key(), m.value());
        m.headers().forEach((name, value) -> r.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        sent.add(producer.send(r));
      }
      for (java.util.concurrent.Future<?> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** The offsets a consumer group has committed. */
  public Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    process.close();
  }

  @Override
  public String toString() {
    return "Kafka at " + bootstrapServers() + " (" + dir + ")";
  }
}
