package io.replicator.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.testing.DebeziumHistory;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubTestClient.PubsubTestClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubTestClient;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A stream from a Pub/Sub subscription through Beam's own Pub/Sub test client, which fails when a
 * message is acknowledged twice or never: every message is acknowledged once its window is merged,
 * and none while its merge fails.
 */
public class PubsubStreamTest {
  private static final String SUBSCRIPTION = "projects/my-project/subscriptions/cdc";
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(DebeziumHistory.SCHEMA_JSON, List.of("id"));
  /** Pulls are timed by this clock; the test client checks they are. */
  private static final ReadPubsubEvents.PullClock FIXED = () -> 1_000L;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static List<IncomingMessage> messages(List<String> events) {
    List<IncomingMessage> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      String e = events.get(i);
      PubsubMessage m = PubsubMessage.newBuilder()
          .setData(e == null ? ByteString.EMPTY : ByteString.copyFromUtf8(e)).setMessageId("m" + i).build();
      out.add(IncomingMessage.of(m, 1_000L + i, 0, "ack-" + i, "record-" + i));
    }
    return out;
  }

  private PipelineResult start(PubsubTestClientFactory clients, TargetTable table, Path warehouse) {
    DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
    options.setBlockOnRun(false);
    options.as(org.apache.beam.sdk.options.StreamingOptions.class).setStreaming(true);
    Pipeline p = Pipeline.create(options);
    p.apply(ReadPubsubEvents.from(SUBSCRIPTION).withClientFactory(clients, FIXED))
        .apply(ReplicateStream.of(List.of(table), WarehouseSpec.parse("duckdb:" + warehouse),
                tmp.getRoot() + "/staging", tmp.getRoot() + "/dead")
            .withLoadInterval(Duration.standardSeconds(1))
            .committingTo(new PubsubAcks(SUBSCRIPTION, clients)));
    return p.run();
  }

  @Test
  public void messagesAreAcknowledgedOnceMerged() throws Exception {
    DebeziumHistory history = new DebeziumHistory(13).generate(List.of("orders"), 80, 20);
    List<String> events = new ArrayList<>(history.events);
    events.add("{\"op\":\"c\",\"after\":{\"id\":");
    TargetTable table = new TargetTable("orders", SCHEMA, DeleteMode.HARD);
    Path warehouse = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      w.ensureTables(table);
    }
    PubsubTestClientFactory clients = PubsubTestClient.createFactoryForPull(FIXED,
        PubsubClient.subscriptionPathFromPath(SUBSCRIPTION), 600, messages(events));
    PipelineResult run = null;
    try {
      run = start(clients, table, warehouse);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (acknowledged(run) < events.size()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("acknowledged " + acknowledged(run) + " of " + events.size() + " in 90 s");
        }
        Thread.sleep(200);
      }
    } finally {
      if (run != null) {
        run.cancel();
      }
      clients.close(); // Fails unless every message was pulled and acknowledged exactly once.
    }
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      assertEquals(history.state.get("orders"), DebeziumHistory.rows(w, table));
    }
  }

  @Test
  public void nothingIsAcknowledgedWhileTheMergeFails() throws Exception {
    DebeziumHistory history = new DebeziumHistory(14).generate(List.of("orders"), 10, 5);
    TargetTable table = new TargetTable("orders", SCHEMA, DeleteMode.HARD);
    Path warehouse = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      // A target whose key has another type: every merge into it fails.
      w.connection().createStatement().execute("CREATE TABLE orders (id VARCHAR PRIMARY KEY, \"select\" VARCHAR)");
    }
    PubsubTestClientFactory clients = PubsubTestClient.createFactoryForPull(FIXED,
        PubsubClient.subscriptionPathFromPath(SUBSCRIPTION), 600, messages(history.events));
    PipelineResult run;
    try {
      run = start(clients, table, warehouse);
      PipelineResult started = run;
      Pipeline.PipelineExecutionException failed = assertThrows(Pipeline.PipelineExecutionException.class,
          () -> started.waitUntilFinish(Duration.standardSeconds(60)));
      assertTrue(failed.getMessage(), failed.getMessage().contains("merging batch"));
    } catch (RuntimeException | AssertionError e) {
      try {
        clients.close();
      } catch (IllegalStateException ignored) {
        // The failure above is the one to report.
      }
      throw e;
    }
    IllegalStateException unacknowledged = assertThrows(IllegalStateException.class, clients::close);
    assertTrue(unacknowledged.getMessage(), unacknowledged.getMessage().contains("to be ACKed"));
    assertEquals(0, acknowledged(run));
  }

  private static long acknowledged(PipelineResult run) {
    long n = 0;
    for (MetricResult<Long> c : run.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("replicator", CommitProgress.EVENTS_ACKNOWLEDGED)).build()).getCounters()) {
      n += c.getAttempted();
    }
    return n;
  }
}
