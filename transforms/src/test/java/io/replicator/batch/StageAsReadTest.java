package io.replicator.batch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.replicate.ReplicateTable;
import io.replicator.source.InputFormat;
import io.replicator.source.ReadChanges;
import io.replicator.source.SnapshotJsonDecoder;
import io.replicator.testing.DeadLetterFiles;
import io.replicator.warehouse.MergeBatches;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Snapshot files staged as read give what batches of whole keys give: the same rows in the target,
 * the same dead letters and the same counts, on random snapshots with keys held many times (equal
 * rows, different rows, the same value written two ways), rejected lines, a reserved word and
 * non-ASCII names, into an empty table and one that holds rows, merged or reloaded.
 */
public class StageAsReadTest {
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("[{\"name\":\"order\",\"type\":\"INT64\","
      + "\"mode\":\"REQUIRED\"},{\"name\":\"größe\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},"
      + "{\"name\":\"select\",\"type\":\"STRING\"},{\"name\":\"n\",\"type\":\"NUMERIC\"},"
      + "{\"name\":\"d\",\"type\":\"DATE\"}]", List.of("order", "größe"));
  private static final TargetTable TABLE = new TargetTable("t", SCHEMA, DeleteMode.HARD);
  private static final String[] TEXT = {"a", "é", "中文", "", "x \\\"y\\\"", "\\u00e9", "😀"};

  /** A random snapshot line: mostly a row of one of {@code keys} keys, now and then one to reject. */
  private static String line(Random r, int keys) {
    int kind = r.nextInt(40);
    if (kind == 0) {
      return "{\"order\":1,\"größe\":\"a\",\"n\":\"not a number\"}";
    }
    if (kind == 1) {
      return "{\"order\":2,\"größe\":\"b\"";
    }
    if (kind == 2) {
      return "{\"order\":3,\"größe\":\"c\",\"unknown\":1}";
    }
    int k = r.nextInt(keys);
    // The same key written two ways: a number or a string of it.
    String order = r.nextBoolean() ? Integer.toString(k % 7) : "\"" + k % 7 + "\"";
    String size = TEXT[(k / 7) % TEXT.length] + (k / 49);
    StringBuilder sb = new StringBuilder("{\"order\":").append(order).append(",\"größe\":\"").append(size).append('"');
    if (r.nextInt(150) == 0) {
      // Longer than the buffer staged lines are read back through.
      sb.append(",\"select\":\"").append("long ".repeat(15_000)).append('"');
    } else if (r.nextInt(4) > 0) {
      sb.append(",\"select\":").append(r.nextInt(5) == 0 ? "null" : "\"" + TEXT[r.nextInt(TEXT.length)] + "\"");
    }
    if (r.nextBoolean()) {
      // The same value two ways: trailing zeros, or none.
      int n = r.nextInt(4);
      sb.append(",\"n\":").append(r.nextBoolean() ? n + ".50" : "\"" + n + ".5\"");
    }
    if (r.nextInt(3) == 0) {
      sb.append(",\"d\":\"2024-0").append(1 + r.nextInt(9)).append("-1").append(r.nextInt(10)).append('"');
    }
    return sb.append(r.nextInt(3) == 0 ? " }" : "}").toString();
  }

  /** Writes {@code files} files of random lines under {@code dir}; returns their pattern. */
  private static String snapshot(Path dir, Random r, int files, int lines, int keys) throws Exception {
    Files.createDirectories(dir);
    for (int f = 0; f < files; f++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < lines; i++) {
        sb.append(line(r, keys)).append('\n');
      }
      Files.writeString(dir.resolve("part-" + f + ".jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }
    return dir + "/*.jsonl";
  }

  private static ReadChanges read(String pattern, long sequence) {
    return ReadChanges.from(pattern).withFormat(InputFormat.SNAPSHOT_JSONL).withTable("t").withSchema(SCHEMA)
        .withSnapshotSequence(Sequence.of(sequence));
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.create());
  }

  /** One run of the flow into {@code dir}'s database; its counters of staging. */
  private static long[] replicate(Path dir, String pattern, long sequence, boolean asRead, boolean reload) {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      w.ensureTables(TABLE);
    }
    ReplicateTable flow = ReplicateTable.into(WarehouseSpec.parse("duckdb:" + dir.resolve("w.duckdb")), TABLE)
        .withStaging(dir.resolve("staging").toString()).withDeadLetters(dir.resolve("dead-" + sequence).toString())
        .withSnapshot(read(pattern, sequence)).spillingWhileReading(3).stagingAsRead(asRead);
    if (reload) {
      flow = flow.replacing(sequence, 100);
    }
    Pipeline p = pipeline();
    p.apply(flow);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return new long[] {counter(result, StageBatches.ROWS_STAGED), counter(result, StageBatches.CHANGES_SUPERSEDED),
        counter(result, ReadChanges.REJECTED)};
  }

  private static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(Counters.NAMESPACE, name)).build()).getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private static List<String> rows(Path dir) throws Exception {
    List<String> out = new ArrayList<>();
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"));
        Statement st = w.connection().createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM t ORDER BY \"order\", \"größe\"")) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          sb.append(rs.getString(i)).append('|');
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** The dead letters under {@code dir}, sorted (files and their order differ by run). */
  private static List<String> deadLetters(Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(dir)) {
      for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith("dead-")).toList()) {
        lines.addAll(DeadLetterFiles.linesIn(d));
      }
    }
    Collections.sort(lines);
    return lines;
  }

  @Test
  public void stagedAsReadTheTargetAndDeadLettersAreThoseOfBatchesOfWholeKeys() throws Exception {
    Random r = new Random(17);
    int withDuplicates = 0;
    for (int round = 0; round < 8; round++) {
      Path input = tmp.newFolder("input-" + round).toPath();
      Path byKey = tmp.newFolder("by-key-" + round).toPath();
      Path asRead = tmp.newFolder("as-read-" + round).toPath();
      boolean reload = round % 3 == 2;
      int keys = 20 + r.nextInt(200);
      // Every other round starts from rows already in the target (the MERGE, not the append).
      if (round % 2 == 1) {
        String before = snapshot(input.resolve("before"), r, 1, 60, keys);
        for (Path dir : List.of(byKey, asRead)) {
          replicate(dir, before, 5, false, false);
        }
      }
      String pattern = snapshot(input.resolve("now"), r, 1 + r.nextInt(3), 50 + r.nextInt(300), keys);
      long[] expected = replicate(byKey, pattern, 10, false, reload);
      long[] actual = replicate(asRead, pattern, 10, true, reload);
      String what = "round " + round + (reload ? " (reload)" : "");
      assertEquals(what, rows(byKey), rows(asRead));
      assertEquals(what, deadLetters(byKey), deadLetters(asRead));
      assertEquals(what + ": rows staged, superseded, rejected", List.of(expected[0], expected[1], expected[2]),
          List.of(actual[0], actual[1], actual[2]));
      assertTrue(what, actual[2] > 0);
      withDuplicates += actual[1] > 0 ? 1 : 0;
    }
    assertEquals("rounds with keys held more than once", 8, withDuplicates);
  }

  @Test
  public void theSameSnapshotStagedAgainIsRecognisedAsApplied() throws Exception {
    Path input = tmp.newFolder("input").toPath();
    Path dir = tmp.newFolder("target").toPath();
    String pattern = snapshot(input, new Random(3), 2, 400, 150);
    replicate(dir, pattern, 10, true, false);
    List<String> once = rows(dir);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb")); Statement st = w.connection().createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM _replicator_batches")) {
      rs.next();
      assertEquals("a batch per file", 2, rs.getLong(1));
    }
    Pipeline p = pipeline();
    p.apply(ReplicateTable.into(WarehouseSpec.parse("duckdb:" + dir.resolve("w.duckdb")), TABLE)
        .withStaging(dir.resolve("staging").toString()).withDeadLetters(dir.resolve("dead-again").toString())
        .withSnapshot(read(pattern, 10)).spillingWhileReading(3));
    PipelineResult again = p.run();
    again.waitUntilFinish();
    assertEquals(once, rows(dir));
    assertEquals("both batches recognised", 2, counter(again, MergeBatches.BATCHES_ALREADY_APPLIED));
    assertEquals("nothing applied again", 0, counter(again, MergeBatches.BATCHES_MERGED));
  }

  /**
   * Straight from the transform, with ranges of a few hundred bytes cut into files of four rows (a
   * key's rows in many ranges and files, read again to find its latest), and keys held twice
   * resolved in 20 KB of memory at a time (many slices): the staged rows are exactly the latest row per key of
   * everything the decoder accepts, each once, and the files hold nothing else.
   */
  @Test
  public void theStagedRowsAreTheLatestRowOfEveryKeyEachOnce() throws Exception {
    Random r = new Random(5);
    Path input = tmp.newFolder("input").toPath();
    String pattern = snapshot(input, r, 2, 600, 90);
    Path staging = tmp.newFolder("staging").toPath();
    Pipeline p = pipeline();
    p.apply(StageAsRead.of(read(pattern, 10), staging.toString()).withRangeBytes(700).withBatchBounds(400, 4)
        .withHeldBytesAtOnce(20_000));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertTrue("ranges of both files", counter(result, StageBatches.BATCHES_STAGED) > 20);

    SnapshotJsonDecoder decoder = new SnapshotJsonDecoder("t", SCHEMA, Sequence.of(10));
    LatestPerKey latest = new LatestPerKey();
    List<Path> inputs;
    try (Stream<Path> files = Files.list(input)) {
      inputs = files.sorted().toList();
    }
    for (Path f : inputs) {
      for (String line : Files.readAllLines(f)) {
        try {
          decoder.decode(line, latest::add);
        } catch (io.replicator.source.RejectedInputException e) {
          // A dead letter; not staged.
        }
      }
    }
    Set<String> expected = latest.winners().stream().map(Change::rowJson).collect(Collectors.toCollection(TreeSet::new));
    List<String> stagedRows = new ArrayList<>();
    try (Stream<Path> files = Files.walk(staging)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertTrue("only staged batches are left: " + f, f.getFileName().toString().equals("batch.jsonl"));
        for (String line : Files.readAllLines(f)) {
          String suffix = ",\"_op\":\"UPSERT\",\"_sequence_num\":10}";
          assertTrue(line, line.startsWith("{") && line.endsWith(suffix));
          stagedRows.add(line.substring(1, line.length() - suffix.length()));
        }
      }
    }
    assertEquals("each key once", expected.size(), stagedRows.size());
    assertEquals(expected, new TreeSet<>(stagedRows));
    assertTrue("keys held many times", latest.added() > expected.size() * 2L);
  }

  private static final List<StageAsRead.Part> WRITTEN = Collections.synchronizedList(new ArrayList<>());

  /**
   * A snapshot that changes between its staging and the reading again of its ranges fails the run
   * before anything is staged for the merge: a different size, a row that became a rejected line
   * (one row fewer), a held row with another value. The two halves run as two pipelines, the
   * file changed between them (size and time of change put back where the check is past them).
   */
  @Test
  public void aSnapshotThatChangesWhileStagedFailsTheRun() throws Exception {
    String original = "{\"order\":1,\"größe\":\"a\",\"n\":\"1.5\"}\n{\"order\":2,\"größe\":\"b\",\"n\":\"2.5\"}\n"
        + "{\"order\":1,\"größe\":\"a\",\"n\":\"3.5\"}\n{\"order\":3,\"größe\":\"c\",\"n\":\"4.5\"}\n";
    assertEquals("unchanged: the key held twice resolved, three rows staged", 3,
        stageThenResolve("unchanged", original, null, false));
    String grown = original + "{\"order\":4,\"größe\":\"d\"}\n";
    assertChangedWhileStaged(stageThenResolveFailing("grown", original, grown, false),
        "its size or time of change differ from when it was staged");
    String oneRejected = original.replace("\"2.5\"", "\"x.5\"");
    assertChangedWhileStaged(stageThenResolveFailing("rejected", original, oneRejected, true),
        "3 rows in the range from byte 0 now, 4 when it was staged");
    String heldRowChanged = original.replace("\"3.5\"", "\"3.6\"");
    assertChangedWhileStaged(stageThenResolveFailing("value", original, heldRowChanged, true), "is not the row read again");
  }

  /** Keeps what the first half wrote, for the second: one process, so a static list serves. */
  private static final class KeepFn extends org.apache.beam.sdk.transforms.DoFn<StageAsRead.Part, Void> {
    @ProcessElement
    public void process(@Element StageAsRead.Part part) {
      WRITTEN.add(part);
    }
  }

  private static void assertChangedWhileStaged(String message, String how) {
    assertTrue(message, message.contains("snapshot.jsonl changed while it was staged (") && message.contains(how)
        && message.endsWith("nothing was merged: run again once it stays as it is"));
  }

  private String stageThenResolveFailing(String name, String before, String after, boolean keepSizeAndTime)
      throws Exception {
    Throwable failure = assertThrows(Pipeline.PipelineExecutionException.class,
        () -> stageThenResolve(name, before, after, keepSizeAndTime));
    while (failure.getCause() != null && !(failure instanceof IllegalStateException)) {
      failure = failure.getCause();
    }
    return failure.getMessage();
  }

  /** Stages {@code before}, writes {@code after} over it (when given), resolves; the rows staged. */
  private long stageThenResolve(String name, String before, String after, boolean keepSizeAndTime) throws Exception {
    Path input = tmp.newFolder(name).toPath();
    Path file = input.resolve("snapshot.jsonl");
    Files.writeString(file, before, StandardCharsets.UTF_8);
    Path staging = tmp.newFolder(name + "-staging").toPath();
    StageAsRead stage = StageAsRead.of(read(input + "/*.jsonl", 10), staging.toString());
    WRITTEN.clear();
    Pipeline write = pipeline();
    stage.writeParts(write.begin()).get(StageAsRead.PARTS).apply(org.apache.beam.sdk.transforms.ParDo.of(new KeepFn()));
    write.run().waitUntilFinish();
    if (after != null) {
      java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(file);
      assertTrue("the same size", !keepSizeAndTime || before.length() == after.length());
      Files.writeString(file, after, StandardCharsets.UTF_8);
      if (keepSizeAndTime) {
        Files.setLastModifiedTime(file, time);
      }
    }
    Pipeline resolve = pipeline();
    stage.resolveParts(resolve.apply(org.apache.beam.sdk.transforms.Create.of(new ArrayList<>(WRITTEN))
        .withCoder(StageAsRead.PartCoder.INSTANCE)));
    return counter(resolve.run(), StageBatches.ROWS_STAGED);
  }

  @Test
  public void takesSnapshotFilesIntoALocalDirectoryOnly() {
    ReadChanges changes = ReadChanges.from("changes/*.jsonl").withTable("t").withSchema(SCHEMA);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StageAsRead.of(changes, "/tmp/s"));
    assertTrue(e.getMessage(), e.getMessage().contains("takes snapshot files"));
    e = assertThrows(IllegalArgumentException.class, () -> StageAsRead.of(read("x/*.jsonl", 1), "gs://bucket/staging"));
    assertTrue(e.getMessage(), e.getMessage().contains("local directory, not gs://bucket/staging"));
  }
}
