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
import io.replicator.testing.DebeziumEvents;
import io.replicator.testing.ToastedHistory;
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
import org.apache.beam.sdk.values.PCollection;
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
    return messages(events, java.util.Set.of());
  }

  /** The events as messages; those at {@code splitHalves} carry the connector's key change attribute. */
  private static List<IncomingMessage> messages(List<String> events, java.util.Set<Integer> splitHalves) {
    List<IncomingMessage> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      String e = events.get(i);
      PubsubMessage.Builder m = PubsubMessage.newBuilder()
          .setData(e == null ? ByteString.EMPTY : ByteString.copyFromUtf8(e)).setMessageId("m" + i);
      if (splitHalves.contains(i)) {
        boolean delete = e.contains("\"op\":\"d\"");
        m.putAttributes(delete ? SourceEvent.NEW_KEY_HEADER : SourceEvent.OLD_KEY_HEADER, "{\"id\":0}");
      }
      out.add(IncomingMessage.of(m.build(), 1_000L + i, 0, "ack-" + i, "record-" + i));
    }
    return out;
  }

  private PipelineResult start(PubsubTestClientFactory clients, TargetTable table, Path warehouse) {
    return start(clients, table, warehouse, Duration.standardSeconds(1), true);
  }

  /** @param gathered whether the read is gathered, as the pipeline gathers it on the DirectRunner */
  private PipelineResult start(PubsubTestClientFactory clients, TargetTable table, Path warehouse, Duration interval,
      boolean gathered) {
    DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
    options.setBlockOnRun(false);
    options.as(org.apache.beam.sdk.options.StreamingOptions.class).setStreaming(true);
    Pipeline p = Pipeline.create(options);
    PCollection<SourceEvent> read = p.apply(ReadPubsubEvents.from(SUBSCRIPTION).withClientFactory(clients, FIXED));
    (gathered ? read.apply(GatherReadBundles.within(interval)) : read)
        .apply(ReplicateStream.of(List.of(table), WarehouseSpec.parse("duckdb:" + warehouse),
                tmp.getRoot() + "/staging", tmp.getRoot() + "/dead")
            .withLoadInterval(interval)
            .committingTo(new PubsubAcks(SUBSCRIPTION, clients)));
    return p.run();
  }

  @Test
  public void splitKeyChangesMarkedByAttributesWaitForEachOtherAndEveryMessageIsAcknowledgedOnce() throws Exception {
    // Thirty rows, then ten key changes the connector split, each half in its own message marked by
    // the attribute a sink carries the connector's header over as: every delete half first, the
    // create halves last. What waits is acknowledged only once it goes on, exactly once.
    List<String> events = new ArrayList<>();
    java.util.Set<Integer> halves = new java.util.HashSet<>();
    java.util.TreeMap<Long, String> state = new java.util.TreeMap<>();
    for (long id = 0; id < 30; id++) {
      events.add(DebeziumEvents.postgres("docs", "c", "null", row(id, "v" + id), 100 + id, 100 + id, 1_700_000_000_000L));
      state.put(id, id + "|v" + id);
    }
    List<String> creates = new ArrayList<>();
    for (long id = 0; id < 10; id++) {
      long lsn = 1000 + id;
      halves.add(events.size());
      events.add(DebeziumEvents.postgres("docs", "d", "{\"id\":" + id + "}", "null", lsn, lsn, 1_700_000_000_000L));
      creates.add(DebeziumEvents.postgres("docs", "c", "null", row(id + 100, "v" + id), lsn, lsn, 1_700_000_000_000L));
      state.remove(id);
      state.put(id + 100, (id + 100) + "|v" + id);
    }
    for (String c : creates) {
      halves.add(events.size());
      events.add(c);
    }
    TableSchema schema = TableSchema.fromBigQueryJson(
        "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id"));
    TargetTable table = new TargetTable("docs", schema, DeleteMode.HARD);
    Path warehouse = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      w.ensureTables(table);
    }
    PipelineResult run = runUntilAcknowledged(messages(events, halves), table, warehouse, Duration.standardSeconds(1), true);
    List<String> expected = new ArrayList<>(state.values());
    expected.sort(null); // As text, as the rows are read.
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      assertEquals(expected, io.replicator.testing.SqlRows.sorted(w.connection(),
          "SELECT id || '|' || v FROM docs ORDER BY id"));
    }
    assertTrue(counter(run, PairSplitKeyChanges.WAITED) >= 10);
    assertEquals(0, counter(run, PairSplitKeyChanges.UNPAIRED));
  }

  @Test
  public void messagesAreAcknowledgedOnceMergedAndPartialUpdatesLandInWindowOrder() throws Exception {
    // Updates that leave TOASTed columns out, read on the wall clock into windows of 200 ms (the
    // direct runner reads ten messages at a time, so a window each): a partial update is completed
    // from the row the windows before it merged, so each window of the table must be merged after
    // those before it, whatever order their merges are ready in. A malformed message at the end.
    ToastedHistory history = new ToastedHistory(31).generate(50, 10);
    List<String> events = new ArrayList<>(history.events);
    events.add("{\"op\":\"c\",\"after\":{\"id\":");
    TargetTable table = new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), DeleteMode.HARD);
    Path warehouse = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      w.ensureTables(table);
    }
    // Not gathered: a gathered read would bring the history in a few windows.
    PipelineResult run = runUntilAcknowledged(messages(events), table, warehouse, Duration.millis(200), false);
    assertTrue(counter(run, CommitProgress.WINDOWS_COMMITTED) > 5);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      assertEquals(history.rows(), io.replicator.testing.SqlRows.sorted(w.connection(),
          ToastedHistory.selectRows("docs", false)));
    }
  }

  private static String row(long id, String v) {
    return "{\"id\":" + id + ",\"v\":\"" + v + "\"}";
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

  /** Runs the stream until every message is acknowledged, then checks none was acknowledged twice or never. */
  private PipelineResult runUntilAcknowledged(List<IncomingMessage> messages, TargetTable table, Path warehouse,
      Duration interval, boolean gathered) throws Exception {
    PubsubTestClientFactory clients = PubsubTestClient.createFactoryForPull(FIXED,
        PubsubClient.subscriptionPathFromPath(SUBSCRIPTION), 600, messages);
    PipelineResult run = null;
    try {
      run = start(clients, table, warehouse, interval, gathered);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (acknowledged(run) < messages.size()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("acknowledged " + acknowledged(run) + " of " + messages.size() + " in 90 s");
        }
        Thread.sleep(200);
      }
    } finally {
      if (run != null) {
        run.cancel();
      }
      clients.close(); // Fails unless every message was pulled and acknowledged exactly once.
    }
    return run;
  }

  private static long acknowledged(PipelineResult run) {
    return counter(run, CommitProgress.EVENTS_ACKNOWLEDGED);
  }

  private static long counter(PipelineResult run, String name) {
    long n = 0;
    for (MetricResult<Long> c : run.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("replicator", name)).build()).getCounters()) {
      n += c.getAttempted();
    }
    return n;
  }
}
