package io.replicator.testing.debezium;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.Header;
import io.debezium.engine.format.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debezium's embedded engine with the connector settings in a properties file and appends
 * every change event it emits to a file, one JSON line each: {@code {"destination", "key",
 * "value", "headers": {name: value}}}, key and value as the connector's JSON converter writes
 * them (text, so byte for byte what a Kafka topic would hold). Runs until it is stopped
 * (SIGTERM), then closes the engine, which commits its offsets.
 *
 * <pre>{@code
 * java -cp 'test-debezium/target/lib/*:test-debezium/target/classes' \
 *     io.replicator.testing.debezium.CaptureChanges engine.properties events.jsonl
 * }</pre>
 */
public final class CaptureChanges {
  private CaptureChanges() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: CaptureChanges <engine.properties> <events.jsonl>");
      System.exit(2);
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      props.load(in);
    }
    ObjectMapper json = new ObjectMapper();
    BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    DebeziumEngine<ChangeEvent<String, String>> engine = DebeziumEngine.create(Json.class, Json.class, Json.class)
        .using(props)
        .notifying((records, committer) -> {
          for (ChangeEvent<String, String> r : records) {
            ObjectNode line = json.createObjectNode();
            line.put("destination", r.destination());
            line.put("key", r.key());
            line.put("value", r.value());
            ObjectNode headers = line.putObject("headers");
            for (Header<?> h : r.headers()) {
              headers.put(h.getKey(), String.valueOf(h.getValue()));
            }
            try {
              out.write(json.writeValueAsString(line));
              out.write('\n');
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            committer.markProcessed(r);
          }
          try {
            out.flush(); // Whole lines only: the test reads the file while the engine runs.
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          committer.markBatchFinished();
        })
        .using((success, message, error) -> {
          if (!success) {
            System.err.println("engine stopped: " + message);
            if (error != null) {
              error.printStackTrace();
            }
          }
        })
        .build();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        engine.close();
        executor.shutdown();
        executor.awaitTermination(9, TimeUnit.SECONDS);
        out.close();
      } catch (IOException | InterruptedException e) {
        e.printStackTrace();
      }
    }));
    executor.execute(engine);
    executor.shutdown(); // Main ends when the engine does (stopped, or failed: see its message above).
    executor.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
  }
}
