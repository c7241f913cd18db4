package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.stream.SourceEvent;
import io.replicator.testing.DeadLetterFiles;
import io.replicator.testing.DebeziumCapture;
import io.replicator.testing.DebeziumEvents;
import io.replicator.testing.DebeziumHistory;
import io.replicator.testing.KafkaBroker;
import io.replicator.testing.PostgresServer;
import io.replicator.testing.SqlRows;
import io.replicator.testing.ToastedHistory;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code replicate --streaming} as a user runs it: Debezium events of two tables from a real Kafka
 * broker (KRaft, on loopback) with the tables' schemas read from PostgreSQL, stopped and restarted
 * from the committed offsets; and files dropped into a folder while the stream runs.
 */
public class StreamingReplicateTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(DebeziumHistory.SCHEMA_JSON, List.of("id"));
  private static KafkaBroker kafka;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @BeforeClass
  public static void startKafka() throws Exception {
    kafka = KafkaBroker.start();
  }

  @AfterClass
  public static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  public void kafkaStreamOfTwoTablesFollowsTheSourceAndResumesFromCommittedOffsets() throws Exception {
    PostgresServer pg = PostgresServer.get();
    String db = pg.createDatabase("stream_" + Math.abs(tmp.getRoot().getName().hashCode()));
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      for (String t : List.of("orders", "customers")) {
        st.execute("CREATE TABLE public." + t + " (id bigint PRIMARY KEY, \"select\" text, \"größe\" bigint)");
      }
      st.execute("CREATE TABLE public.ordinal_not_streamed (id bigint PRIMARY KEY)"); // Matched by the pattern too.
    }
    Path passwordFile = tmp.newFile("pgpass").toPath();
    Files.writeString(passwordFile, PostgresServer.PASSWORD);
    kafka.createTopic("app.cdc", 2);

    DebeziumHistory history = new DebeziumHistory(21).generate(List.of("orders", "customers"), 120, 25);
    Map<String, TreeMap<Long, String>> firstState = copy(history.state);
    int firstEvents = history.events.size();
    history.generate(List.of("orders", "customers"), 120, 25);
    Random random = new Random(5);
    long[] sent = new long[2];

    List<String> first = new ArrayList<>(history.events.subList(0, firstEvents));
    first.add(first.size() / 2, "{\"op\":\"c\",\"after\":{\"id\":\"not a number\"},\"source\":{\"connector\":"
        + "\"postgresql\",\"table\":\"orders\",\"lsn\":5}}");
    first.add(DebeziumHistory.heartbeat());
    send("app.cdc", first, random, sent);
    Path dir = tmp.getRoot().toPath();
    String[] args = {"--streaming=true", "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
        "--kafkaTopics=app.cdc", "--kafkaGroup=replicator-test", "--tables=public.ord*,customers",
        "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--loadInterval=1s", "--batchMaxBytes=8KB", "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + dir.resolve("w.duckdb")};
    streamUntilCommitted(args, sent);
    assertTables(dir.resolve("w.duckdb"), firstState);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"));
        Statement st = w.connection().createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM ordinal_not_streamed")) {
      rs.next();
      assertEquals("every table the pattern matches is replicated, this one has no events", 0, rs.getLong(1));
    }
    List<String> deadLetters = DeadLetterFiles.linesIn(dir.resolve("staging/dead-letters"));
    assertEquals(deadLetters.toString(), 1, deadLetters.size());
    assertTrue(deadLetters.get(0), deadLetters.get(0).contains("\"source\":\"kafka:app.cdc/"));
    assertTrue(deadLetters.get(0), deadLetters.get(0).contains("not a number"));

    // Stopped; the source goes on, and some old events are delivered again. Restarted, the stream
    // reads from the committed offsets and ends equal to the source.
    List<String> rest = new ArrayList<>(history.events.subList(firstEvents, history.events.size()));
    rest.addAll(random.nextInt(rest.size()), history.events.subList(0, 40));
    send("app.cdc", rest, random, sent);
    streamUntilCommitted(args, sent);
    assertTables(dir.resolve("w.duckdb"), history.state);
  }

  @Test
  public void filesDroppedWhileTheStreamRunsAreReadOnce() throws Exception {
    DebeziumHistory history = new DebeziumHistory(8).generate(List.of("orders"), 150, 30);
    Path dir = tmp.getRoot().toPath();
    Path drops = Files.createDirectories(dir.resolve("drops"));
    int half = history.events.size() / 2;
    // Two bad lines: one cut short, one whose text is not valid UTF-8 (\uFFFF stands for a byte 0xFF).
    drop(drops, "part-1.jsonl", history.events.subList(0, half), List.of("{\"op\":\"c\",\"after\":{\"id\":",
        "{\"op\":\"c\",\"after\":{\"id\":987654,\"select\":\"bad\uFFFFbyte\"}}"));
    Files.writeString(dir.resolve("schema.json"), DebeziumHistory.SCHEMA_JSON);
    Thread later = new Thread(() -> {
      try {
        Thread.sleep(3000);
        drop(drops, "part-2.jsonl", history.events.subList(half, history.events.size()), List.of());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    later.start();
    // Each window's line goes to the process's standard error as the window is done.
    java.io.PrintStream systemErr = System.err;
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
    Replication.Outcome o;
    try {
      o = Replication.cli("replicate", "--streaming=true", "--changes=" + drops + "/*.jsonl",
          "--changeFormat=debezium", "--table=orders", "--schema=" + dir.resolve("schema.json"), "--keys=id",
          "--watchInterval=500ms", "--loadInterval=1s", "--streamFor=12s", "--staging=" + dir.resolve("staging"),
          "--warehouse=duckdb:" + dir.resolve("w.duckdb")).ok();
    } finally {
      System.setErr(systemErr);
    }
    later.join();
    String windows = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(windows, windows.matches("(?s).*\\d\\d:\\d\\d:\\d\\d window done: merged orders: \\d+ rows in \\d+ batch.*"));
    assertEquals(o.out(), 2, o.count("rejected"));
    assertEquals(o.out(), history.events.size() + 2, o.count("read"));
    String letters;
    try (var files = Files.walk(dir.resolve("staging"))) {
      letters = files.filter(f -> f.getFileName().toString().startsWith("rejected-")).map(f -> {
        try {
          return Files.readString(f);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).reduce("", String::concat);
    }
    assertTrue(letters, letters.contains("\"reason\":\"invalid UTF-8 at byte 45\""));
    assertTrue(o.out(), o.out().contains("lag "));
    assertEquals(o.out(), history.state.get("orders").size() > 0, o.count("orders") > 0);
    assertTables(dir.resolve("w.duckdb"), Map.of("orders", history.state.get("orders")));
  }

  /**
   * TOAST placeholders through Kafka and through file drops: the target ends with the source's
   * values, the placeholder nowhere. Through Kafka, what Debezium's own PostgreSQL connector wrote
   * ({@link ConnectorCapture}: tombstones and headers included, key changes split in two) in two
   * partitions by the key's hash, as a Connect worker's producer spreads them, so a key change's
   * halves often land apart; a stretch of each partition is delivered twice.
   */
  @Test
  public void toastedColumnsThroughKafkaAndFileDropsEndExact() throws Exception {
    ConnectorCapture captured = ConnectorCapture.get();
    Path dir = tmp.getRoot().toPath();
    Path schema = Files.writeString(dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    kafka.createTopic("docs.cdc", 2);
    List<List<KafkaBroker.Message>> partitions = List.of(new ArrayList<>(), new ArrayList<>());
    for (DebeziumCapture.Event e : captured.events) {
      int partition = Utils.toPositive(Utils.murmur2(e.key().getBytes(StandardCharsets.UTF_8))) % 2;
      partitions.get(partition).add(new KafkaBroker.Message(e.key(), e.value(), e.headers()));
    }
    long[] sent = new long[2];
    List<String> log = new ArrayList<>();
    for (int partition = 0; partition < 2; partition++) {
      List<KafkaBroker.Message> messages = new ArrayList<>(partitions.get(partition));
      int from = messages.size() / 3;
      messages.addAll(2 * messages.size() / 3, List.copyOf(messages.subList(from, 2 * messages.size() / 3)));
      kafka.sendMessages("docs.cdc", partition, messages);
      sent[partition] = messages.size();
      for (int offset = 0; offset < messages.size(); offset++) {
        KafkaBroker.Message m = messages.get(offset);
        log.add(partition + "/" + offset + " " + m.key() + " " + m.headers().keySet() + " " + m.value());
      }
    }
    String[] table = {"--changeFormat=debezium", "--table=docs", "--schema=" + schema, "--keys=id", "--deletes=soft"};
    List<String> args = new ArrayList<>(List.of("--streaming=true", "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
        "--kafkaTopics=docs.cdc", "--kafkaGroup=replicator-test", "--loadInterval=1s", "--batchMaxBytes=8KB",
        "--staging=" + dir.resolve("kafka-staging"), "--warehouse=duckdb:" + dir.resolve("kafka.duckdb")));
    args.addAll(List.of(table));
    String summary = streamUntilCommitted(args.toArray(String[]::new), "docs.cdc", sent);
    List<String> rejected = DeadLetterFiles.linesIn(dir.resolve("kafka-staging/dead-letters"));
    try {
      assertEquals(summary, List.of(), rejected);
      assertEquals(summary, captured.sourceRows, ConnectorCapture.targetRows(dir.resolve("kafka.duckdb"), true));
    } catch (AssertionError e) {
      // What a rare failure needs to be understood, kept past the temporary folder.
      Path kept = Files.createDirectories(Path.of("target", "toasted-kafka-failure"));
      Files.write(kept.resolve("messages.txt"), log);
      Files.write(kept.resolve("dead-letters.jsonl"), rejected);
      throw new AssertionError(e.getMessage() + "\n(messages as sent and dead letters in " + kept.toAbsolutePath() + ")", e);
    }

    ToastedHistory history = new ToastedHistory(31).generate(300, 30);
    Path drops = Files.createDirectories(dir.resolve("drops"));
    int third = history.events.size() / 3;
    drop(drops, "part-1.jsonl", history.events.subList(0, third), List.of());
    Thread later = new Thread(() -> {
      try {
        Thread.sleep(2500);
        drop(drops, "part-2.jsonl", history.events.subList(third, 2 * third), List.of());
        Thread.sleep(2500);
        drop(drops, "part-3.jsonl", history.events.subList(2 * third, history.events.size()),
            history.events.subList(0, third)); // With the first part again: a replay.
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    later.start();
    List<String> fileArgs = new ArrayList<>(List.of("replicate", "--streaming=true", "--changes=" + drops + "/*.jsonl",
        "--watchInterval=500ms", "--loadInterval=1s", "--streamFor=14s", "--staging=" + dir.resolve("drop-staging"),
        "--warehouse=duckdb:" + dir.resolve("drops.duckdb")));
    fileArgs.addAll(List.of(table));
    Replication.Outcome o = Replication.cli(fileArgs.toArray(String[]::new)).ok();
    later.join();
    assertEquals(o.out(), 0, o.count("rejected"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("drops.duckdb"))) {
      assertEquals(history.rows(), SqlRows.sorted(w.connection(), ToastedHistory.selectRows("docs", true)));
    }
  }

  @Test
  public void aKeyChangeHalfWhosePartnerNeverComesGoesOnAloneAsADeadLetterAndIsCounted() throws Exception {
    // The connector's create half of a key change, placeholders in its TOASTed columns, sent without
    // its delete: after --keyChangePairWait it goes on alone, a dead letter, never a row of placeholders.
    DebeziumCapture.Event half = ConnectorCapture.get().events.stream()
        .filter(e -> e.headers().containsKey(SourceEvent.OLD_KEY_HEADER) && ToastedHistory.leavesColumnsOut(e.value()))
        .findFirst().orElseThrow();
    Path dir = tmp.getRoot().toPath();
    Path schema = Files.writeString(dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    kafka.createTopic("alone.cdc", 1);
    kafka.sendMessages("alone.cdc", 0, List.of(new KafkaBroker.Message(half.key(), half.value(), half.headers())));
    Replication.Outcome o = Replication.cli("replicate", "--streaming=true", "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
        "--kafkaTopics=alone.cdc", "--kafkaGroup=replicator-alone", "--loadInterval=1s", "--keyChangePairWait=2s",
        "--streamFor=12s", "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"),
        "--changeFormat=debezium", "--table=docs", "--schema=" + schema, "--keys=id").ok();
    assertEquals(o.out(), 1, o.count("unpaired"));
    assertEquals(o.out(), 1, o.count("rejected"));
    List<String> rejected = DeadLetterFiles.linesIn(dir.resolve("staging/dead-letters"));
    assertEquals(rejected.toString(), 1, rejected.size());
    // Rejected by the merge, as a staged line a redrive completes once the old key's row is there.
    assertTrue(rejected.get(0), rejected.get(0).contains("\\\"_unchanged\\\":[") && rejected.get(0).contains("REPLICA IDENTITY FULL"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      assertEquals(List.of("0"), SqlRows.of(w.connection(), "SELECT count(*) FROM docs"));
    }
    assertEquals(Map.of(new TopicPartition("alone.cdc", 0), 1L), kafka.committed("replicator-alone").entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())));
  }

  @Test
  public void keyChangesSplitByTheConnectorThroughFileDropsEndExact() throws Exception {
    // The connector's defaults: a key change is a delete of the old key and a create of the new one
    // with placeholders, at one LSN.
    ToastedHistory history = new ToastedHistory(33).splittingKeyMovesLeavingColumnsOut().generate(300, 30);
    long creates = history.events.stream()
        .filter(e -> e.contains("\"op\":\"c\"") && ToastedHistory.leavesColumnsOut(e)).count();
    assertTrue("the history splits key changes leaving columns out: " + creates, creates > 20);
    keyMovesThroughFileDropsEndExact(history, creates);
  }

  @Test
  public void updatesThatMoveTheirKeyThroughFileDropsEndExact() throws Exception {
    // An UPDATE that moves its key, names the old one in 'before' and leaves TOASTed values out.
    ToastedHistory history = new ToastedHistory(37).movingKeysInUpdates().generate(300, 30);
    long moves = history.events.stream()
        .filter(e -> e.contains("\"op\":\"u\"") && e.contains("\"before\":{\"id\"")
            && ToastedHistory.leavesColumnsOut(e)).count();
    assertTrue("the history moves keys in updates leaving columns out: " + moves, moves > 20);
    keyMovesThroughFileDropsEndExact(history, moves);
  }

  /**
   * Three files in source order (never cut between the halves of a split key change), each
   * shuffled with duplicates, the last also holding the first again (a replay): the target ends as
   * the source, every move completed once.
   */
  private void keyMovesThroughFileDropsEndExact(ToastedHistory history, long moves) throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path schema = Files.writeString(dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    Path drops = Files.createDirectories(dir.resolve("drops"));
    int n = history.events.size();
    int first = pairBoundary(history, n / 3);
    int second = pairBoundary(history, 2 * n / 3);
    Random random = new Random(35);
    drop(drops, "part-1.jsonl", Replication.shuffledWithDuplicates(history.events.subList(0, first), random, 0.2),
        List.of());
    Thread later = new Thread(() -> {
      try {
        Thread.sleep(2500);
        drop(drops, "part-2.jsonl", Replication.shuffledWithDuplicates(history.events.subList(first, second),
            random, 0.2), List.of());
        Thread.sleep(2500);
        List<String> last = new ArrayList<>(history.events.subList(second, n));
        last.addAll(history.events.subList(0, first));
        drop(drops, "part-3.jsonl", Replication.shuffledWithDuplicates(last, random, 0.2), List.of());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    later.start();
    Replication.Outcome o = Replication.cli("replicate", "--streaming=true", "--changes=" + drops + "/*.jsonl",
        "--watchInterval=500ms", "--loadInterval=1s", "--streamFor=12s", "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + dir.resolve("w.duckdb"), "--changeFormat=debezium", "--table=docs",
        "--schema=" + schema, "--keys=id").ok();
    later.join();
    assertEquals(o.out(), 0, o.count("rejected"));
    assertEquals(o.out(), 0, o.countOrZero("incomplete"));
    assertEquals("each key move completed once (the replay completes none again)", moves, o.count("completed"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      assertEquals(history.rows(), SqlRows.sorted(w.connection(), ToastedHistory.selectRows("docs", false)));
      assertEquals(List.of("0"), SqlRows.sorted(w.connection(), "SELECT count(*) FROM docs WHERE body LIKE '%"
          + ToastedHistory.PLACEHOLDER + "%' OR CAST(doc AS VARCHAR) LIKE '%" + ToastedHistory.PLACEHOLDER + "%'"));
    }
  }

  /** The first index at or after {@code at} that is not the create half of a split key change. */
  private static int pairBoundary(ToastedHistory history, int at) {
    while (history.events.get(at).contains("\"op\":\"c\"") && ToastedHistory.leavesColumnsOut(history.events.get(at))) {
      at++;
    }
    return at;
  }

  @Test
  public void aKeyMoveNamingItsOldKeyIsCompletedFromFileDropsAndFromKafkaByARedrive() throws Exception {
    // Files land in source order, so a window of dropped files holds every earlier change of the
    // old key or follows the windows that merged them: the move is completed there. A Kafka stream
    // cannot tell that the old key's events, in another partition, have all arrived: there the move
    // is a dead letter with the reason, and a batch run that reads it again once the stream has
    // applied them takes the old key's values from the target.
    Path dir = tmp.getRoot().toPath();
    Path schema = Files.writeString(dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    String p = "\"" + ToastedHistory.PLACEHOLDER + "\"";
    String blob = "\"" + java.util.Base64.getEncoder().encodeToString(
        ToastedHistory.PLACEHOLDER.getBytes(StandardCharsets.UTF_8)) + "\"";
    String insert = DebeziumEvents.postgres("docs", "c", "null",
        "{\"id\":1,\"title\":\"t\",\"body\":\"long body\",\"doc\":{\"k\":1},\"blob\":null,\"n\":1}", 100, 100, 0);
    String move = DebeziumEvents.postgres("docs", "u", "{\"id\":1}", "{\"id\":2,\"title\":\"moved\",\"body\":" + p
        + ",\"doc\":" + p + ",\"blob\":" + blob + ",\"n\":2}", 200, 200, 0);
    List<String> expected = List.of("2|moved|long body|{\"k\":1}|null|2");

    Path drops = Files.createDirectories(dir.resolve("drops"));
    drop(drops, "part-1.jsonl", List.of(move, insert), List.of());
    Replication.Outcome o = Replication.cli("replicate", "--streaming=true", "--changes=" + drops + "/*.jsonl",
        "--watchInterval=500ms", "--loadInterval=1s", "--streamFor=6s", "--changeFormat=debezium", "--table=docs",
        "--schema=" + schema, "--keys=id", "--staging=" + dir.resolve("drop-staging"),
        "--warehouse=duckdb:" + dir.resolve("drops.duckdb")).ok();
    assertEquals(o.out(), 0, o.count("rejected"));
    assertEquals(o.out(), 1, o.count("completed"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("drops.duckdb"))) {
      assertEquals(expected, SqlRows.sorted(w.connection(), ToastedHistory.selectRows("docs", false)));
    }

    kafka.createTopic("moves.cdc", 2);
    kafka.send("moves.cdc", 1, List.<String[]>of(new String[] {"1", insert}));
    kafka.send("moves.cdc", 0, List.<String[]>of(new String[] {"2", move}));
    String[] table = {"--changeFormat=debezium", "--table=docs", "--schema=" + schema, "--keys=id",
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb")};
    List<String> stream = new ArrayList<>(List.of("--streaming=true", "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
        "--kafkaTopics=moves.cdc", "--kafkaGroup=replicator-test", "--loadInterval=1s"));
    stream.addAll(List.of(table));
    streamUntilCommitted(stream.toArray(String[]::new), "moves.cdc", new long[] {1, 1});
    Path dead = dir.resolve("staging/dead-letters");
    String letters;
    try (var files = Files.list(dead)) {
      letters = String.join("\n", files.filter(f -> f.getFileName().toString().startsWith("rejected-"))
          .map(f -> { try { return Files.readString(f); } catch (Exception e) { throw new IllegalStateException(e); } })
          .toList());
    }
    assertTrue(letters, letters.contains("moves its key from [1] to [2]"));

    List<String> redrive = new ArrayList<>(List.of("replicate", "--changes=" + dead + "/rejected-*.jsonl",
        "--changeFormat=dead-letters"));
    redrive.addAll(List.of(table).subList(1, table.length));
    o = Replication.cli(redrive.toArray(String[]::new)).ok();
    assertEquals(o.out(), 0, o.count("rejected"));
    assertEquals(o.out(), 1, o.count("completed"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      assertEquals(expected, SqlRows.sorted(w.connection(), ToastedHistory.selectRows("docs", false)));
    }
  }

  @Test
  public void streamOptionsAreChecked() {
    Replication.Outcome noSource = Replication.cli("replicate", "--streaming=true", "--table=t", "--staging=/tmp/x");
    assertEquals(2, noSource.code());
    assertTrue(noSource.err(), noSource.err().contains("--streaming needs a source"));
    Replication.Outcome notStreaming = Replication.cli("replicate", "--kafkaBootstrapServers=127.0.0.1:9",
        "--table=t", "--staging=/tmp/x");
    assertEquals(2, notStreaming.code());
    assertTrue(notStreaming.err(), notStreaming.err().contains("--kafkaBootstrapServers applies to a stream: add --streaming"));
    Replication.Outcome snapshot = Replication.cli("replicate", "--streaming=true", "--changes=/tmp/none/*",
        "--snapshot=/tmp/x.jsonl", "--table=t", "--staging=/tmp/x");
    assertEquals(2, snapshot.code());
    assertTrue(snapshot.err(), snapshot.err().contains("--snapshot loads a snapshot, which a stream does not"));
    // Read settings of a whole-table read do nothing in a stream without a slot: refused, not ignored.
    Replication.Outcome partitions = Replication.cli("replicate", "--streaming=true", "--changes=/tmp/none/*",
        "--jdbcPartitions=4", "--table=t", "--staging=/tmp/x");
    assertEquals(2, partitions.code());
    assertTrue(partitions.err(), partitions.err().contains(
        "--jdbcPartitions applies to reading a table whole, which a stream does only from a replication slot"));
    Replication.Outcome tables = Replication.cli("replicate", "--streaming=true", "--changes=/tmp/none/*",
        "--tables=a,b", "--staging=/tmp/x");
    assertEquals(2, tables.code());
    assertTrue(tables.err(), tables.err().contains("--tables needs --jdbcUrl"));
    Replication.Outcome interval = Replication.cli("replicate", "--streaming=true", "--changes=/tmp/none/*",
        "--table=t", "--schema=/tmp/s.json", "--keys=id", "--loadInterval=soon", "--staging=/tmp/x");
    assertEquals(2, interval.code());
    Replication.Outcome pairWait = Replication.cli("replicate", "--streaming=true", "--changes=/tmp/none/*",
        "--table=t", "--schema=/tmp/s.json", "--keys=id", "--keyChangePairWait=an hour", "--staging=/tmp/x");
    assertEquals(2, pairWait.code());
    assertTrue(pairWait.err(), pairWait.err().contains("--keyChangePairWait='an hour' is not a duration"));
  }

  /** Writes a file elsewhere and moves it in, as a well-behaved exporter lands files. */
  private static void drop(Path dir, String name, List<String> events, List<String> extra) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String e : events) {
      sb.append(e == null ? "null" : e).append('\n');
    }
    extra.forEach(e -> sb.append(e).append('\n'));
    Path temp = Files.createTempFile(dir.getParent(), "drop", ".tmp");
    // U+FFFF in a line stands for the byte 0xFF, which no UTF-8 text holds.
    Files.write(temp, new String(sb.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)
        .replace("\u00EF\u00BF\u00BF", "\u00FF").getBytes(StandardCharsets.ISO_8859_1));
    Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Sends events to random partitions, each partition in source order; counts what each got. */
  private static void send(String topic, List<String> events, Random random, long[] sent) throws Exception {
    List<List<String[]>> byPartition = List.of(new ArrayList<>(), new ArrayList<>());
    for (String e : events) {
      int partition = random.nextInt(2);
      byPartition.get(partition).add(new String[] {null, e});
      sent[partition]++;
    }
    for (int partition = 0; partition < 2; partition++) {
      kafka.send(topic, partition, byPartition.get(partition));
    }
  }

  /** Runs the stream until the group's committed offsets reach what was sent, then stops it; returns its summary. */
  private static String streamUntilCommitted(String[] args, long[] sent) throws Exception {
    return streamUntilCommitted(args, "app.cdc", sent);
  }

  private static String streamUntilCommitted(String[] args, String topic, long[] sent) throws Exception {
    ReplicateOptions options = Commands.options(args, new PrintStream(new ByteArrayOutputStream()));
    // Each window's line on standard error: the test's report shows what a failed run merged and committed.
    ReplicateStreamPipeline.Launched run = ReplicateStreamPipeline.run(options, true);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed = kafka.committed("replicator-test");
        boolean done = true;
        for (int partition = 0; partition < 2; partition++) {
          OffsetAndMetadata o = committed.get(new TopicPartition(topic, partition));
          done &= o != null && o.offset() == sent[partition];
          if (o != null && o.offset() > sent[partition]) {
            throw new AssertionError("committed " + o.offset() + " past the " + sent[partition] + " sent");
          }
        }
        if (done) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("offsets not committed in 120 s: " + committed + ", sent " + List.of(sent[0], sent[1]));
        }
        Thread.sleep(250);
      }
      return RunSummary.of(run.result(), 0).renderStream(run);
    } finally {
      run.result().cancel();
    }
  }

  private static void assertTables(Path warehouse, Map<String, TreeMap<Long, String>> expected) {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      expected.forEach((table, rows) ->
          assertEquals(table, rows, DebeziumHistory.rows(w, new TargetTable(table, SCHEMA, DeleteMode.HARD))));
    }
  }

  private static Map<String, TreeMap<Long, String>> copy(Map<String, TreeMap<Long, String>> state) {
    Map<String, TreeMap<Long, String>> out = new HashMap<>();
    state.forEach((k, v) -> out.put(k, new TreeMap<>(v)));
    return out;
  }
}
