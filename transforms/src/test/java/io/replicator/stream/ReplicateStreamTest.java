package io.replicator.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.testing.DebeziumEvents;
import io.replicator.testing.DeadLetterFiles;
import io.replicator.testing.DebeziumHistory;
import io.replicator.testing.SqlRows;
import io.replicator.testing.ToastedHistory;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The streaming replicate on the DirectRunner with {@link TestStream}: adversarial Debezium
 * histories of two tables arriving over several windows and partitions, out of order, with
 * duplicates, replays, tombstones, heartbeats, poison messages and another table's events, end
 * equal to the source; late events are merged, not dropped; progress is committed only once merged.
 */
public class ReplicateStreamTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(DebeziumHistory.SCHEMA_JSON, List.of("id"));
  private static final Instant T0 = new Instant(0);
  /** What each test's committer was told, by test: committers are serialised into the pipeline. */
  static final Map<String, Map<String, Long>> COMMITTED = new ConcurrentHashMap<>();
  /** Every position each test's committer was told, in order, by test and source. */
  static final Map<String, Map<String, List<Long>>> COMMITS = new ConcurrentHashMap<>();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(streaming());

  private static StreamingOptions streaming() {
    StreamingOptions o = PipelineOptionsFactory.as(StreamingOptions.class);
    o.setStreaming(true);
    return o;
  }

  /** Records positions in {@link #COMMITTED} and checks they never go back. */
  record Recording(String test) implements ProgressCommitter {
    @Override
    public boolean keepsPositions() {
      return true;
    }

    @Override
    public void commit(Map<String, Long> positions, Map<String, List<String>> ackIds) {
      Map<String, Long> seen = COMMITTED.computeIfAbsent(test, k -> new ConcurrentHashMap<>());
      positions.forEach((source, position) -> {
        Long before = seen.get(source);
        if (before != null && position <= before) {
          throw new IllegalStateException(source + " moved back from " + before + " to " + position);
        }
        seen.put(source, position);
        COMMITS.computeIfAbsent(test, k -> new ConcurrentHashMap<>())
            .computeIfAbsent(source, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(position);
      });
    }
  }

  private List<TargetTable> tables(DeleteMode mode) {
    return List.of(new TargetTable("orders", SCHEMA, mode), new TargetTable("customers", SCHEMA, mode));
  }

  private WarehouseSpec warehouse(List<TargetTable> tables) {
    Path file = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(file)) {
      tables.forEach(w::ensureTables);
    }
    return WarehouseSpec.parse("duckdb:" + file);
  }

  private ReplicateStream replicate(List<TargetTable> tables, WarehouseSpec warehouse, String test) {
    return ReplicateStream.of(tables, warehouse, tmp.getRoot() + "/staging", tmp.getRoot() + "/dead")
        .withLoadInterval(Duration.standardSeconds(10)).withBatchBounds(4096, 50).committingTo(new Recording(test));
  }

  @Test
  public void adversarialHistoryOverWindowsAndPartitionsEndsEqualToTheSource() throws Exception {
    DebeziumHistory history = new DebeziumHistory(7).generate(List.of("orders", "customers"), 300, 40);
    Random random = new Random(11);
    // Three partitions, as a keyed topic would spread them: events of one key stay in order within a
    // partition, but partitions interleave freely, and the whole history is replayed once more.
    List<SourceEvent> arrivals = new ArrayList<>();
    long[] offsets = new long[3];
    for (int pass = 0; pass < 2; pass++) {
      for (String e : history.events) {
        int partition = random.nextInt(3);
        arrivals.add(new SourceEvent("kafka:cdc/" + partition, offsets[partition]++, e));
        if (random.nextInt(20) == 0) {
          arrivals.add(new SourceEvent("kafka:cdc/" + partition, offsets[partition]++, e)); // A duplicate.
        }
      }
    }
    Collections.shuffle(arrivals, random);
    String[] poison = {"{\"op\":\"c\",\"after\":{\"id\":", "{\"op\":\"x\",\"after\":{\"id\":1},\"source\":"
        + "{\"connector\":\"postgresql\",\"table\":\"orders\",\"lsn\":1}}", DebeziumHistory.heartbeat(),
        "{\"op\":\"c\",\"after\":{\"id\":1},\"source\":{\"connector\":\"postgresql\",\"table\":\"audit\",\"lsn\":2}}"};
    for (String line : poison) {
      arrivals.add(random.nextInt(arrivals.size()), new SourceEvent("kafka:cdc/9", offsets[0]++, line));
    }

    // Five windows of ten seconds.
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    int perWindow = arrivals.size() / 5 + 1;
    for (int w = 0; w < 5; w++) {
      List<TimestampedValue<SourceEvent>> batch = new ArrayList<>();
      for (SourceEvent e : arrivals.subList(Math.min(w * perWindow, arrivals.size()),
          Math.min((w + 1) * perWindow, arrivals.size()))) {
        batch.add(TimestampedValue.of(e, T0.plus(Duration.standardSeconds(w * 10L + 1))));
      }
      if (!batch.isEmpty()) {
        stream = stream.addElements(batch.get(0), batch.subList(1, batch.size()).toArray(new TimestampedValue[0]));
      }
      stream = stream.advanceWatermarkTo(T0.plus(Duration.standardSeconds((w + 1) * 10L)));
    }
    List<TargetTable> tables = tables(DeleteMode.HARD);
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "adversarial"));
    p.run().waitUntilFinish();

    for (TargetTable t : tables) {
      assertEquals(t.name(), history.state.get(t.name()), rows(warehouse, t));
    }
    // Every partition's last offset is committed, the poison messages' included.
    Map<String, Long> committed = COMMITTED.get("adversarial");
    for (int partition = 0; partition < 3; partition++) {
      long last = -1;
      for (SourceEvent e : arrivals) {
        if (e.source().equals("kafka:cdc/" + partition)) {
          last = Math.max(last, e.position());
        }
      }
      assertEquals(Long.valueOf(last), committed.get("kafka:cdc/" + partition));
    }
    List<String> deadLetters = deadLetterLines();
    assertEquals(deadLetters.toString(), 2, deadLetters.size());
    assertTrue(deadLetters.toString(), deadLetters.stream().anyMatch(l -> l.contains("malformed JSON")));
    assertTrue(deadLetters.toString(), deadLetters.stream().anyMatch(l -> l.contains("unknown op 'x'")));
  }

  @Test
  public void toastedColumnsLeftOutOfUpdatesKeepTheirValuesAcrossWindows() throws Exception {
    ToastedHistory history = new ToastedHistory(21).generate(400, 30);
    Random random = new Random(23);
    // A keyed topic of three partitions: a key's events stay in order in its partition, partitions
    // interleave freely, some events are delivered twice, and everything is replayed once more.
    List<SourceEvent> arrivals = new ArrayList<>();
    long[] offsets = new long[3];
    for (int pass = 0; pass < 2; pass++) {
      List<List<String>> partitions = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
      for (int i = 0; i < history.events.size(); i++) {
        partitions.get((int) (history.keys.get(i) % 3)).add(history.events.get(i));
      }
      int[] next = new int[3];
      while (next[0] + next[1] + next[2] < history.events.size()) {
        int partition = random.nextInt(3);
        if (next[partition] < partitions.get(partition).size()) {
          String e = partitions.get(partition).get(next[partition]++);
          arrivals.add(new SourceEvent("kafka:docs/" + partition, offsets[partition]++, e));
          if (random.nextInt(10) == 0) {
            arrivals.add(new SourceEvent("kafka:docs/" + partition, offsets[partition]++, e));
          }
        }
      }
    }
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    int perWindow = arrivals.size() / 6 + 1;
    for (int w = 0; w * perWindow < arrivals.size(); w++) {
      stream = inWindow(stream, arrivals.subList(w * perWindow, Math.min((w + 1) * perWindow, arrivals.size())), w);
    }
    List<TargetTable> tables = List.of(new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), DeleteMode.SOFT));
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "toasted"));
    p.run().waitUntilFinish();

    assertTrue(history.events.stream().filter(e -> e.contains(ToastedHistory.PLACEHOLDER)).count() > 100);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      assertEquals(history.rows(), SqlRows.sorted(w.connection(), ToastedHistory.selectRows("docs", true)));
    }
    assertEquals(List.of(), deadLetterLines());
  }

  @Test
  public void keyChangesSplitByTheConnectorAreCompletedWhenBothHalvesShareAWindow() throws Exception {
    // The connector's default for a key change: a delete of the old key and, at the same LSN, a
    // create of the new key with placeholders for what the update left out. Keyed partitions put
    // the halves in two partitions; windows here never fall between the halves of a pair.
    ToastedHistory history = new ToastedHistory(41).splittingKeyMovesLeavingColumnsOut().generate(400, 30);
    Random random = new Random(43);
    List<Integer> order = new ArrayList<>();
    List<SourceEvent> arrivals = keyedArrivals(history, random, 2, order);
    Map<Integer, Integer> partner = splitPairs(history);
    assertTrue("the history splits key changes leaving columns out: " + partner.size(), partner.size() > 20);
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    int w = 0;
    int from = 0;
    java.util.Set<Integer> open = new java.util.HashSet<>();
    java.util.Set<Integer> arrived = new java.util.HashSet<>();
    for (int i = 0; i < arrivals.size(); i++) {
      Integer other = partner.get(order.get(i));
      if (other != null && arrived.add(order.get(i)) && !open.remove(other)) {
        open.add(order.get(i));
      }
      if (open.isEmpty() && (i + 1 - from >= arrivals.size() / 6 || i == arrivals.size() - 1)) {
        stream = inWindow(stream, arrivals.subList(from, i + 1), w++);
        from = i + 1;
      }
    }
    assertTrue("several windows: " + w, w >= 4);
    List<TargetTable> tables = List.of(new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), DeleteMode.HARD));
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "split"));
    p.run().waitUntilFinish();

    try (DuckDbWarehouse db = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      assertEquals(history.rows(), SqlRows.sorted(db.connection(), ToastedHistory.selectRows("docs", false)));
    }
    assertEquals(List.of(), deadLetterLines());
  }

  @Test
  public void keyChangesSplitByTheConnectorArePairedByItsHeadersWhateverTheWindows() throws Exception {
    pairsSplitKeyChangesByTheirHeaders(53, 9, DeleteMode.HARD, "paired");
  }

  @Test
  public void keyChangesSplitByTheConnectorArePairedInManyShortWindowsWithSoftDeletes() throws Exception {
    pairsSplitKeyChangesByTheirHeaders(71, 25, DeleteMode.SOFT, "paired-soft");
  }

  /**
   * The connector's headers mark both halves of each key change. {@code windows} windows fall
   * anywhere, between the halves of many pairs in either order, between a half and its keys' later
   * changes, inside chains of key changes; deliveries are duplicated and all replayed. The target
   * ends equal to the source, with no dead letter, and every offset committed.
   */
  private void pairsSplitKeyChangesByTheirHeaders(long seed, int windows, DeleteMode mode, String test) throws Exception {
    ToastedHistory history = new ToastedHistory(seed).splittingKeyMovesLeavingColumnsOut().generate(400, 30);
    Random random = new Random(seed + 6);
    List<Integer> order = new ArrayList<>();
    List<SourceEvent> arrivals = keyedArrivals(history, random, 2, order);
    int straddling = 0;
    int perWindow = arrivals.size() / windows + 1;
    Map<Integer, Integer> firstWindow = new java.util.HashMap<>();
    for (int i = 0; i < arrivals.size(); i++) {
      int index = order.get(i) % history.events.size();
      if (history.splitHalves.contains(index)) {
        arrivals.set(i, arrivals.get(i).asSplitKeyChange());
        int pair = index - (history.events.get(index).contains("\"op\":\"d\"") ? 0 : 1);
        Integer w = firstWindow.putIfAbsent(pair * 2 + order.get(i) / history.events.size(), i / perWindow);
        if (w != null && w != i / perWindow) {
          straddling++;
        }
      }
    }
    assertTrue("pairs whose halves fall in two windows: " + straddling, straddling > 10);
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    for (int w = 0; w * perWindow < arrivals.size(); w++) {
      stream = inWindow(stream, arrivals.subList(w * perWindow, Math.min((w + 1) * perWindow, arrivals.size())), w);
    }
    List<TargetTable> tables = List.of(new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), mode));
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, test));
    p.run().waitUntilFinish();

    try (DuckDbWarehouse db = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      assertEquals(history.rows(), SqlRows.sorted(db.connection(), ToastedHistory.selectRows("docs", mode == DeleteMode.SOFT)));
    }
    assertEquals(List.of(), deadLetterLines());
    for (int partition = 0; partition < 2; partition++) {
      long last = -1;
      for (SourceEvent e : arrivals) {
        if (e.source().equals("kafka:docs/" + partition)) {
          last = Math.max(last, e.position());
        }
      }
      assertEquals(Long.valueOf(last), COMMITTED.get(test).get("kafka:docs/" + partition));
    }
  }

  @Test
  public void aWaitingHalfHoldsItsPartitionsCommitsBackAndGoesOnAloneAfterTheWait() throws Exception {
    // Partition 0 holds a create half at offset 0 and three other changes; its delete half comes a
    // window later in partition 1. Then a create half whose delete never comes.
    ToastedHistory history = new ToastedHistory(61).splittingKeyMovesLeavingColumnsOut().generate(80, 10);
    int create = history.splitHalves.stream().filter(i -> history.events.get(i).contains("\"op\":\"c\"")
        && ToastedHistory.leavesColumnsOut(history.events.get(i))).findFirst().orElseThrow();
    List<SourceEvent> before = new ArrayList<>();
    for (int i = 0; i < create - 1; i++) {
      before.add(new SourceEvent("kafka:docs/1", i, history.events.get(i)));
    }
    SourceEvent delete = new SourceEvent("kafka:docs/1", create - 1, history.events.get(create - 1)).asSplitKeyChange();
    List<SourceEvent> partition0 = new ArrayList<>();
    partition0.add(new SourceEvent("kafka:docs/0", 0, history.events.get(create)).asSplitKeyChange());
    for (int i = 1; i <= 3; i++) {
      partition0.add(new SourceEvent("kafka:docs/0", i, other(9001, i, false)));
    }
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    stream = inWindow(stream, before, 0);
    stream = inWindow(stream, partition0, 1);
    stream = inWindow(stream, List.of(delete, new SourceEvent("kafka:docs/0", 4, other(9001, 4, false))), 2);
    // A create half whose delete never comes: it waits, holding partition 2 back, then goes on alone.
    stream = inWindow(stream, List.of(new SourceEvent("kafka:docs/2", 0, other(9002, 5, true)).asSplitKeyChange(),
        new SourceEvent("kafka:docs/2", 1, other(9003, 6, false))), 3);
    stream = inWindow(stream, List.of(new SourceEvent("kafka:docs/2", 2, other(9003, 7, false))), 10);
    // Six minutes of the stream later.
    stream = inWindow(stream, List.of(new SourceEvent("kafka:docs/2", 3, other(9003, 8, false))), 40);
    List<TargetTable> tables = List.of(new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), DeleteMode.HARD));
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "held")
        .waitingForSplitKeyChangesAtMost(Duration.standardMinutes(5)));
    p.run().waitUntilFinish();

    Map<String, List<Long>> commits = COMMITS.get("held");
    // Nothing of partition 0 was committed while its create waited: then all of it at once.
    assertEquals(List.of(4L), commits.get("kafka:docs/0"));
    assertEquals(Long.valueOf(create - 1), COMMITTED.get("held").get("kafka:docs/1"));
    // Nor of partition 2 while its lone create waited (1, then 2, would have been); then all read.
    assertEquals(List.of(2L, 3L), commits.get("kafka:docs/2"));
    List<String> letters = deadLetterLines();
    assertEquals(letters.toString(), 1, letters.size());
    assertTrue(letters.get(0), letters.get(0).contains("for a key the target does not hold"));
    try (DuckDbWarehouse db = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      long moved = history.keys.get(create);
      assertEquals(List.of("1"), SqlRows.sorted(db.connection(), "SELECT count(*) FROM docs WHERE id = " + moved
          + " AND body <> '" + ToastedHistory.PLACEHOLDER + "'"));
    }
  }

  /** A create of {@code id} at LSN {@code lsn}, its body left out as a split key change leaves it if {@code partial}. */
  private static String other(long id, long lsn, boolean partial) {
    String body = partial ? "\"" + ToastedHistory.PLACEHOLDER + "\"" : "\"b" + lsn + "\"";
    return DebeziumEvents.postgres("docs", "c", "null", "{\"id\":" + id + ",\"title\":\"t\",\"body\":" + body
        + ",\"doc\":null,\"blob\":null,\"n\":1}", lsn, lsn, 1_700_000_000_000L + lsn);
  }

  @Test
  public void aSplitKeyChangeWithoutTheConnectorsHeadersWhoseHalvesFallInTwoWindowsIsADeadLetter() throws Exception {
    // The delete half is merged a window before the create arrives: the old row is gone (hard
    // deletes), so the new row's left-out values are unknown.
    ToastedHistory history = new ToastedHistory(47).splittingKeyMovesLeavingColumnsOut().generate(60, 10);
    Map<Integer, Integer> partner = splitPairs(history);
    int create = partner.keySet().stream().filter(i -> partner.get(i) < i).findFirst().orElseThrow();
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    List<SourceEvent> events = new ArrayList<>();
    for (int i = 0; i < history.events.size(); i++) {
      events.add(new SourceEvent("kafka:docs/0", i, history.events.get(i)));
    }
    stream = inWindow(stream, events.subList(0, create), 0);
    stream = inWindow(stream, events.subList(create, create + 1), 1);
    List<TargetTable> tables = List.of(new TargetTable("docs",
        TableSchema.fromBigQueryJson(ToastedHistory.SCHEMA_JSON, List.of("id")), DeleteMode.HARD));
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "split-apart"));
    p.run().waitUntilFinish();

    List<String> letters = deadLetterLines();
    assertEquals(letters.toString(), 1, letters.size());
    assertTrue(letters.get(0), letters.get(0).contains("for a key the target does not hold"));
    try (DuckDbWarehouse db = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      assertEquals(List.of("0"), SqlRows.sorted(db.connection(), "SELECT count(*) FROM docs WHERE id = "
          + history.keys.get(create)));
    }
  }

  /** The split key changes of {@code history}: each half's index to the other's (delete just before create). */
  private static Map<Integer, Integer> splitPairs(ToastedHistory history) {
    Map<Integer, Integer> partner = new java.util.HashMap<>();
    for (int i = 1; i < history.events.size(); i++) {
      String e = history.events.get(i);
      if (e.contains("\"op\":\"c\"") && ToastedHistory.leavesColumnsOut(e)) {
        partner.put(i, i - 1);
        partner.put(i - 1, i);
      }
    }
    return partner;
  }

  /**
   * {@code history} as a keyed topic of {@code partitions} partitions delivers it: each key's
   * events in order in its partition, partitions interleaved at random, one in ten delivered
   * twice, and then all of it again; the history's index of each arrival in {@code order}.
   */
  private static List<SourceEvent> keyedArrivals(ToastedHistory history, Random random, int partitions,
      List<Integer> order) {
    List<List<Integer>> byPartition = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      byPartition.add(new ArrayList<>());
    }
    for (int i = 0; i < history.events.size(); i++) {
      byPartition.get((int) (history.keys.get(i) % partitions)).add(i);
    }
    List<SourceEvent> arrivals = new ArrayList<>();
    long[] offsets = new long[partitions];
    // The whole history, then all of it again (a consumer that restarted from the beginning):
    // replayed events are numbered past the history, so no window is kept from splitting them.
    for (int pass = 0; pass < 2; pass++) {
      int[] next = new int[partitions];
      while (java.util.Arrays.stream(next).sum() < history.events.size()) {
        int partition = random.nextInt(partitions);
        if (next[partition] < byPartition.get(partition).size()) {
          int index = byPartition.get(partition).get(next[partition]++);
          int copies = random.nextInt(10) == 0 ? 2 : 1;
          for (int c = 0; c < copies; c++) {
            arrivals.add(new SourceEvent("kafka:docs/" + partition, offsets[partition]++, history.events.get(index)));
            order.add(index + pass * history.events.size());
          }
        }
      }
    }
    return arrivals;
  }

  /** {@code events} in the {@code w}-th ten-second window, its end then passed. */
  private static TestStream.Builder<SourceEvent> inWindow(TestStream.Builder<SourceEvent> stream,
      List<SourceEvent> events, int w) {
    List<TimestampedValue<SourceEvent>> window = new ArrayList<>();
    for (SourceEvent e : events) {
      window.add(TimestampedValue.of(e, T0.plus(Duration.standardSeconds(w * 10L + 1))));
    }
    return stream.addElements(window.get(0), window.subList(1, window.size()).toArray(new TimestampedValue[0]))
        .advanceWatermarkTo(T0.plus(Duration.standardSeconds((w + 1) * 10L)));
  }

  @Test
  public void lateEventsAreMergedNotDropped() throws Exception {
    DebeziumHistory history = new DebeziumHistory(3).generate(List.of("orders"), 40, 10);
    List<TargetTable> tables = List.of(new TargetTable("orders", SCHEMA, DeleteMode.SOFT));
    List<String> events = history.events;
    int half = events.size() / 2;
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    for (int i = half; i < events.size(); i++) {
      stream = stream.addElements(TimestampedValue.of(new SourceEvent("f", i, events.get(i)), T0.plus(1000)));
    }
    // The watermark passes the first window, then its older half arrives: late, for the same window.
    stream = stream.advanceWatermarkTo(T0.plus(Duration.standardSeconds(30)));
    for (int i = 0; i < half; i++) {
      stream = stream.addElements(TimestampedValue.of(new SourceEvent("f", i, events.get(i)), T0.plus(2000)));
    }
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "late"));
    p.run().waitUntilFinish();
    assertEquals(history.state.get("orders"), rows(warehouse, tables.get(0)));
  }

  @Test
  public void nothingIsCommittedWhenTheMergeFails() throws Exception {
    DebeziumHistory history = new DebeziumHistory(5).generate(List.of("orders"), 20, 10);
    List<TargetTable> tables = List.of(new TargetTable("orders", SCHEMA, DeleteMode.HARD));
    Path file = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(file)) {
      // The target exists with a key of another type: every merge into it fails.
      w.connection().createStatement().execute("CREATE TABLE orders (id VARCHAR PRIMARY KEY, \"select\" VARCHAR)");
    }
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    for (int i = 0; i < history.events.size(); i++) {
      stream = stream.addElements(TimestampedValue.of(new SourceEvent("kafka:t/0", i, history.events.get(i)), T0));
    }
    p.apply(stream.advanceWatermarkToInfinity())
        .apply(replicate(tables, WarehouseSpec.parse("duckdb:" + file), "failing"));
    assertThrows(PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertEquals(null, COMMITTED.get("failing"));
  }

  /** An event of {@code table} with a schema envelope declaring {@code fields}. */
  private static String enveloped(String table, String fields, String op, String before, String after, long lsn) {
    String struct = "{\"type\":\"struct\",\"fields\":[" + fields + "],\"optional\":true";
    return "{\"schema\":{\"type\":\"struct\",\"fields\":[" + struct + ",\"field\":\"before\"}," + struct
        + ",\"field\":\"after\"}]},\"payload\":{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"" + op
        + "\",\"source\":{\"connector\":\"postgresql\",\"schema\":\"public\",\"table\":\"" + table + "\",\"lsn\":"
        + lsn + ",\"ts_ms\":1700000000000}}}";
  }

  @Test
  public void aColumnAddedMidStreamIsAddedAndATypeChangeStopsOnlyItsTable() throws Exception {
    String id = "{\"type\":\"int64\",\"optional\":false,\"field\":\"id\"}";
    String select = "{\"type\":\"string\",\"optional\":true,\"field\":\"select\"}";
    String size = "{\"type\":\"int64\",\"optional\":true,\"field\":\"größe\"}";
    String sizeAsText = "{\"type\":\"string\",\"optional\":true,\"field\":\"größe\"}";
    String note = "{\"type\":\"string\",\"optional\":true,\"field\":\"notiz\"}";
    String old = id + "," + select + "," + size;
    String wider = old + "," + note;
    List<String> first = List.of(
        enveloped("orders", old, "c", "null", "{\"id\":1,\"select\":\"a\",\"größe\":1}", 10),
        enveloped("orders", old, "c", "null", "{\"id\":2,\"select\":\"b\",\"größe\":2}", 11),
        enveloped("customers", old, "c", "null", "{\"id\":1,\"select\":\"k\",\"größe\":7}", 12));
    List<String> second = List.of(
        enveloped("orders", wider, "u", "null", "{\"id\":1,\"select\":\"a2\",\"größe\":1,\"notiz\":\"schnell\"}", 20),
        enveloped("orders", wider, "c", "null", "{\"id\":3,\"select\":\"c\",\"größe\":3,\"notiz\":\"später\"}", 21),
        enveloped("orders", wider, "u", "null", "{\"id\":2,\"select\":\"b2\",\"größe\":2,\"notiz\":null}", 22),
        enveloped("customers", id + "," + select + "," + sizeAsText, "u", "null",
            "{\"id\":1,\"select\":\"k2\",\"größe\":\"seven\"}", 23),
        enveloped("customers", id + "," + select + "," + sizeAsText, "c", "null",
            "{\"id\":2,\"select\":\"m\",\"größe\":\"8\"}", 24));
    TestStream.Builder<SourceEvent> stream = TestStream.create(SourceEvent.coder());
    long offset = 0;
    for (String e : first) {
      stream = stream.addElements(TimestampedValue.of(new SourceEvent("kafka:cdc/0", offset++, e), T0.plus(1000)));
    }
    stream = stream.advanceWatermarkTo(T0.plus(Duration.standardSeconds(10)));
    for (String e : second) {
      stream = stream.addElements(TimestampedValue.of(new SourceEvent("kafka:cdc/0", offset++, e), T0.plus(11_000)));
    }
    List<TargetTable> tables = tables(DeleteMode.HARD);
    WarehouseSpec warehouse = warehouse(tables);
    p.apply(stream.advanceWatermarkToInfinity()).apply(replicate(tables, warehouse, "evolving"));
    p.run().waitUntilFinish();

    TreeMap<Long, String> orders;
    try (var w = warehouse.open()) {
      TargetTable now = w.current(tables.get(0));
      assertEquals("notiz", now.schema().column(3).name());
      orders = DebeziumHistory.rows(w, now);
    }
    assertEquals(Map.of(1L, "1|a2|1|schnell", 2L, "2|b2|2|null", 3L, "3|c|3|später"), orders);
    assertEquals(Map.of(1L, "1|k|7"), rows(warehouse, tables.get(1)));
    List<String> deadLetters = deadLetterLines();
    assertEquals(deadLetters.toString(), 2, deadLetters.size());
    assertTrue(deadLetters.get(0), deadLetters.get(0).contains("schema change in customers"));
    assertTrue(deadLetters.get(0), deadLetters.get(0).contains("column 'größe' changed type"));
  }

  private static TreeMap<Long, String> rows(WarehouseSpec spec, TargetTable table) {
    try (var w = spec.open()) {
      return DebeziumHistory.rows(w, table);
    }
  }

  private List<String> deadLetterLines() throws Exception {
    return DeadLetterFiles.linesIn(tmp.getRoot().toPath().resolve("dead"));
  }
}
