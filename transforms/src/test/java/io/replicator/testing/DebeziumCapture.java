package io.replicator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Debezium's PostgreSQL connector, with its defaults, run in its embedded engine as a child
 * process (the {@code test-debezium} module's libraries, so its classpath never meets the
 * tests'), capturing the tables it is given from a {@link PostgresServer} database into a file.
 */
public final class DebeziumCapture implements AutoCloseable {
  /** One event as the connector emitted it: key and value as its JSON converter wrote them, and its headers. */
  public record Event(String destination, String key, String value, Map<String, String> headers) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final ChildProcess process;
  private final Path events;

  private DebeziumCapture(ChildProcess process, Path events) {
    this.process = process;
    this.events = events;
  }

  /** Starts capturing {@code tables} ({@code schema.table}, comma separated) of {@code database}, a snapshot first. */
  public static DebeziumCapture start(PostgresServer server, String database, String tables, Path dir)
      throws IOException, InterruptedException {
    String built = System.getProperty("debezium.lib");
    if (built == null || !Files.isDirectory(Path.of(built, "lib")) || !Files.isDirectory(Path.of(built, "classes"))) {
      throw new IllegalStateException("Debezium's libraries are missing (" + built + "); the build compiles the"
          + " test-debezium module and copies them to its target/lib: build from the project root");
    }
    Path props = dir.resolve("engine.properties");
    Files.writeString(props, String.join("\n",
        "name=replicator-test",
        "connector.class=io.debezium.connector.postgresql.PostgresConnector",
        "offset.storage=org.apache.kafka.connect.storage.FileOffsetBackingStore",
        "offset.storage.file.filename=" + dir.resolve("offsets.dat"),
        "offset.flush.interval.ms=0",
        "database.hostname=127.0.0.1",
        "database.port=" + server.port(),
        "database.user=" + PostgresServer.USER,
        "database.password=" + PostgresServer.PASSWORD,
        "database.dbname=" + database,
        "topic.prefix=app",
        "plugin.name=pgoutput",
        "slot.name=dbz_" + database,
        "publication.name=dbz_" + database,
        "publication.autocreate.mode=filtered",
        "table.include.list=" + tables,
        ""), StandardCharsets.UTF_8);
    Path events = dir.resolve("events.jsonl");
    Files.writeString(events, "");
    ChildProcess p = ChildProcess.startJava("Debezium", List.of("-cp", built + "/lib/*:" + built + "/classes",
        "io.replicator.testing.debezium.CaptureChanges", props.toString(), events.toString()),
        dir.resolve("debezium.log"), () -> true, Duration.ofSeconds(1));
    return new DebeziumCapture(p, events);
  }

  /** Every event captured so far, in the order the connector emitted them. */
  public List<Event> events() throws IOException {
    List<Event> out = new ArrayList<>();
    String text = Files.readString(events, StandardCharsets.UTF_8);
    // Whole lines only: the engine may be halfway through writing the last one.
    for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      JsonNode n = JSON.readTree(line);
      Map<String, String> headers = new LinkedHashMap<>();
      n.get("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
      out.add(new Event(n.get("destination").asText(), n.get("key").isNull() ? null : n.get("key").asText(),
          n.get("value").isNull() ? null : n.get("value").asText(), headers));
    }
    return out;
  }

  /** Waits up to {@code timeout} for {@code count} events that {@code wanted} accepts; returns every event until then. */
  public List<Event> awaitEvents(int count, Predicate<Event> wanted, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Event> all = events();
      if (all.stream().filter(wanted).count() >= count) {
        return all;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Debezium emitted fewer than " + count + " such events in "
            + timeout.toSeconds() + " s (" + all.size() + " events in all; " + process + ")");
      }
      Thread.sleep(200);
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
