package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Input that cannot be read never costs rows already in the target: a rejected reload line keeps
 * its row, a line without a readable key stops the removal, malformed UTF-8 is rejected rather
 * than repaired, and a run whose key or schema is not the target's stops before it reads.
 */
public class RejectedInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private SourceSimulator source;
  private Replication r;
  /** The target after the first run: key ({@code id|region}) → row as the dump renders it. */
  private Map<String, String> before;

  @Before
  public void firstRun() throws Exception {
    source = new SourceSimulator(21, 0).run(400);
    r = new Replication(tmp.getRoot().toPath());
    r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl").ok();
    before = byKey(r.rows());
    source.run(300); // The source moves on; the reloads below are of its new state.
  }

  private static Map<String, String> byKey(List<String> rows) {
    Map<String, String> out = new TreeMap<>();
    for (String row : rows) {
      String[] f = row.split("\\|", -1);
      out.put(f[0] + "|" + f[1], row);
    }
    return out;
  }

  private static String keyOf(String snapshotLine) throws Exception {
    JsonNode n = JSON.readTree(snapshotLine);
    return n.get("id").asLong() + "|" + n.get("region").asText();
  }

  /** Indexes of snapshot lines whose key the target holds, so a rejected one has a row to keep. */
  private List<Integer> linesOfKeptKeys(List<String> snapshot, int n) throws Exception {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < snapshot.size() && out.size() < n; i++) {
      if (before.containsKey(keyOf(snapshot.get(i)))) {
        out.add(i);
      }
    }
    return out;
  }

  /** The source's rows, but for {@code kept} keys the row the target had. */
  private List<String> expectedKeeping(List<String> keptKeys) {
    Map<String, String> expected = byKey(source.expected());
    keptKeys.forEach(k -> expected.put(k, before.get(k)));
    return expected.values().stream().sorted().toList();
  }

  private Path writeBytes(String name, byte[] bytes) throws Exception {
    Path dir = Files.createDirectories(r.dir.resolve(name));
    Files.write(dir.resolve("part-0." + (name.endsWith("csv") ? "csv" : "jsonl")), bytes);
    return dir;
  }

  private static byte[] linesWithBadByte(List<String> lines, int badLine, String marker) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < lines.size(); i++) {
      byte[] b = lines.get(i).getBytes(StandardCharsets.UTF_8);
      if (i == badLine) {
        String s = lines.get(i);
        int at = s.indexOf(marker);
        byte[] head = s.substring(0, at).getBytes(StandardCharsets.UTF_8);
        out.writeBytes(head);
        out.write(0xFF); // Never valid in UTF-8.
        out.writeBytes(s.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8));
      } else {
        out.writeBytes(b);
      }
      out.write('\n');
    }
    return out.toByteArray();
  }

  private List<String> deadLetters() throws Exception {
    List<String> all = new ArrayList<>();
    try (Stream<Path> files = Files.walk(r.dir.resolve("staging"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("rejected-")).toList()) {
        all.addAll(Files.readAllLines(f));
      }
    }
    return all;
  }

  @Test
  public void aTruncatedCompressedFileStopsTheRunNamingTheFile() throws Exception {
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(String.join("\n", source.lines()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    byte[] whole = gz.toByteArray();
    Path dir = Files.createDirectories(r.dir.resolve("truncated"));
    Path file = Files.write(dir.resolve("part-0.jsonl.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
    Replication.Outcome out = r.run("--changes=" + dir + "/*.jsonl.gz");
    assertEquals(out.err(), 1, out.code());
    assertTrue(out.err(), out.err().contains("cannot read " + file + ": it ends in the middle of its data"));
    assertEquals("nothing of the broken file was applied", before, byKey(r.rows()));
  }

  @Test
  public void aRejectedReloadLineKeepsItsRowAndTheRestIsReplaced() throws Exception {
    List<String> snapshot = new ArrayList<>(source.snapshotLines());
    List<Integer> bad = linesOfKeptKeys(snapshot, 2);
    // One line with a wrong type, one whose text is not valid UTF-8 (outside its key).
    String wrongType = snapshot.get(bad.get(0)).replaceFirst("\"amount\":(-?\\d+|null)", "\"amount\":\"oops\"");
    assertTrue(wrongType.contains("oops"));
    snapshot.set(bad.get(0), wrongType);
    snapshot.set(bad.get(1), snapshot.get(bad.get(1)).replaceFirst("\"select\":(null|\"(?:[^\"\\\\]|\\\\.)*\")",
        "\"select\":\"BAD\""));
    assertTrue(snapshot.get(bad.get(1)).contains("\"select\":\"BAD\""));
    Path in = writeBytes("reload", linesWithBadByte(snapshot, bad.get(1), "BAD"));
    Replication.Outcome out = r.run("--snapshot=" + in + "/*.jsonl", "--snapshotMode=replace",
        "--maxReloadDeletePercent=100").ok();
    List<String> kept = List.of(keyOf(snapshot.get(bad.get(0))), keyOf(source.snapshotLines().get(bad.get(1))));
    assertEquals(expectedKeeping(kept), r.rows());
    assertEquals(out.out(), 2, out.count("rejected"));
    assertEquals(out.out(), 2, out.count("kept"));
    assertTrue(out.out(), out.count("removed") > 0);
    List<String> letters = deadLetters();
    assertEquals(letters.toString(), 2, letters.size());
    assertTrue(letters.toString(), letters.stream().anyMatch(l -> l.contains("\"reason\":\"invalid UTF-8 at byte ")));
    assertTrue(letters.toString(), letters.stream().allMatch(l -> l.contains("\"key\":[")));
  }

  @Test
  public void aRejectedCsvRecordKeepsItsRow() throws Exception {
    List<String> snapshot = source.snapshotLines();
    int bad = linesOfKeptKeys(snapshot, 1).get(0);
    StringBuilder csv = new StringBuilder("id,region,select,설명,amount\r\n");
    for (int i = 0; i < snapshot.size(); i++) {
      JsonNode n = JSON.readTree(snapshot.get(i));
      csv.append(n.get("id").asLong()).append(',').append(quoted(n.get("region"))).append(',')
          .append(quoted(n.get("select"))).append(',').append(quoted(n.get("설명"))).append(',')
          .append(i == bad ? "twelve" : n.get("amount").isNull() ? "" : n.get("amount").asText()).append("\r\n");
    }
    Path in = writeBytes("reload-csv", csv.toString().getBytes(StandardCharsets.UTF_8));
    Replication.Outcome out = r.run("--snapshot=" + in + "/*.csv", "--snapshotFormat=csv",
        "--snapshotMode=replace", "--maxReloadDeletePercent=100").ok();
    assertEquals(expectedKeeping(List.of(keyOf(snapshot.get(bad)))), r.rows());
    assertEquals(out.out(), 1, out.count("rejected"));
    assertEquals(out.out(), 1, out.count("kept"));
  }

  private static String quoted(JsonNode v) {
    return v.isNull() ? "" : "\"" + v.asText().replace("\"", "\"\"") + "\"";
  }

  @Test
  public void aRejectedLineWithoutAReadableKeyStopsTheRemovalAndFailsTheRun() throws Exception {
    List<String> snapshot = new ArrayList<>(source.snapshotLines());
    String lost = snapshot.remove(3);
    snapshot.add(lost.substring(0, 5)); // Cut short before its key: which row it was, no one can say.
    Path in = r.write(snapshot, 2);
    Replication.Outcome out = r.run("--snapshot=" + in + "/*.jsonl", "--snapshotMode=replace",
        "--maxReloadDeletePercent=100");
    assertEquals(out.err(), 1, out.code());
    assertTrue(out.err(), out.err().contains("1 rejected snapshot line has no readable key (dead letters in "
        + r.dir.resolve("staging") + "/dead-letters/rejected-"));
    assertTrue(out.err(), out.err().contains("no row was removed"));
    // The reload's rows were applied; every row it lacks is still there.
    Map<String, String> expected = new TreeMap<>(before);
    expected.putAll(byKey(source.expected()));
    expected.remove(keyOf(lost));
    if (before.containsKey(keyOf(lost))) {
      expected.put(keyOf(lost), before.get(keyOf(lost)));
    }
    assertEquals(expected.values().stream().sorted().toList(), r.rows());
  }

  @Test
  public void changeLinesThatAreNotValidUtf8AreDeadLettersNeverRepairedKeys() throws Exception {
    List<String> lines = new ArrayList<>(source.lines());
    // Two new changes after the history: one with a bad byte inside its key, one inside a value.
    long seq = source.sequence();
    lines.add("{\"id\":900001,\"region\":\"00BAD01\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":" + (seq + 1) + "}");
    lines.add("{\"id\":900002,\"region\":\"east\",\"select\":\"xBADy\",\"_op\":\"INSERT\",\"_sequence_num\":"
        + (seq + 2) + "}");
    byte[] bytes = linesWithBadByte(lines, lines.size() - 2, "BAD");
    bytes = new String(bytes, StandardCharsets.ISO_8859_1).replace("xBADy", "x\u00FFy").getBytes(StandardCharsets.ISO_8859_1);
    Path in = writeBytes("changes", bytes);
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl").ok();
    assertEquals(out.out(), 2, out.count("rejected"));
    assertEquals(source.expected(), r.rows());
    List<String> letters = deadLetters();
    assertEquals(letters.toString(), 2, letters.size());
    for (String l : letters) {
      JsonNode d = JSON.readTree(l);
      assertTrue(l, d.get("reason").asText().matches("invalid UTF-8 at byte \\d+"));
      assertEquals(lines.size() - (d.get("input").asText().contains("900001") ? 1 : 0), d.get("line").asLong());
    }
    assertEquals(List.of("0"), r.query("SELECT COUNT(*) FROM t WHERE region LIKE '%\uFFFD%' OR \"select\" LIKE '%\uFFFD%'"));
  }

  @Test
  public void deadLettersAreNamedByWhatTheyHoldSoARerunRewritesTheSameFile() throws Exception {
    List<String> lines = new ArrayList<>(source.lines());
    lines.add(3, "{\"id\":1,\"region\":");
    lines.add("not json at all");
    Path in = r.write(lines, 1);
    Replication.Outcome first = r.run("--changes=" + in + "/*.jsonl").ok();
    List<Path> files = deadLetterFiles();
    assertEquals(files.toString(), 1, files.size());
    assertTrue(first.out(), first.out().contains("rejected    2 dead letters in " + files.get(0)));
    String content = Files.readString(files.get(0));
    Replication.Outcome again = r.run("--changes=" + in + "/*.jsonl").ok();
    assertEquals(deadLetterFiles(), files);
    assertEquals(content, Files.readString(files.get(0)));
    assertTrue(again.out(), again.out().contains("rejected    2 dead letters in " + files.get(0)));
  }

  @Test
  public void anInputInTheOtherChangeFormatStopsTheRunSayingWhichFormatItIs() throws Exception {
    List<String> everything = r.everything();
    Path natives = r.write(source.lines(), 1);
    Replication.Outcome asDebezium = r.run("--changes=" + natives + "/*.jsonl", "--changeFormat=debezium");
    assertEquals(asDebezium.err(), 1, asDebezium.code());
    assertTrue(asDebezium.err(), asDebezium.err().matches("(?s)replicator: failed: .*\\.jsonl: [\\d,]+ of its first"
        + " [\\d,]+ lines are native change lines, not Debezium events: give --changeFormat=native \\(nothing was"
        + " applied\\)\\s*"));
    assertEquals(everything, r.everything());

    List<String> events = new ArrayList<>();
    for (int id = 1; id <= 30; id++) {
      events.add("{\"before\":null,\"after\":{\"id\":" + id + ",\"region\":\"east\"},\"source\":{\"table\":\"t\"},"
          + "\"op\":\"c\",\"ts_ms\":" + id + "}");
    }
    Replication.Outcome asNative = r.run("--changes=" + r.write(events, 1) + "/*.jsonl");
    assertEquals(asNative.err(), 1, asNative.code());
    assertTrue(asNative.err(), asNative.err().contains(": 30 of its first 30 lines are Debezium events, not native"
        + " change lines: give --changeFormat=debezium (nothing was applied)"));
    assertEquals(everything, r.everything());

    // A few such lines among right ones are dead letters, as any bad line.
    List<String> mixed = new ArrayList<>(source.lines());
    mixed.addAll(events.subList(0, 3));
    Replication.Outcome few = r.run("--changes=" + r.write(mixed, 1) + "/*.jsonl").ok();
    assertEquals(few.out(), 3, few.count("rejected"));
  }

  private List<Path> deadLetterFiles() throws Exception {
    try (Stream<Path> files = Files.walk(r.dir.resolve("staging"))) {
      return files.filter(p -> p.getFileName().toString().startsWith("rejected-")).sorted().toList();
    }
  }

  @Test
  public void aRunWithOtherKeysStopsBeforeReadingNamingBoth() throws Exception {
    List<String> everything = r.everything();
    Replication.Outcome out = r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl", "--keys=id");
    assertEquals(out.err(), 1, out.code());
    assertTrue(out.err(), out.err().contains("created with key (id, region) and this run gives (id): give"
        + " --keys=id,region"));
    assertEquals(everything, r.everything());
  }

  @Test
  public void aSchemaWithoutAColumnTheTargetHasStopsTheRun() throws Exception {
    Path narrow = r.dir.resolve("narrow.json");
    Files.writeString(narrow, SourceSimulator.SCHEMA.replaceFirst(",\\s*\\{\"name\":\"amount\",\"type\":\"INT64\"}", ""));
    assertTrue(Files.readString(narrow).contains("설명") && !Files.readString(narrow).contains("amount"));
    List<String> everything = r.everything();
    Replication.Outcome out = r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl", "--schema=" + narrow);
    assertEquals(out.err(), 1, out.code());
    assertTrue(out.err(), out.err().contains("column 'amount' is in the table but not in the schema"));
    assertEquals(everything, r.everything());
  }

  @Test
  public void aByteOrderMarkIsNotPartOfTheFirstLine() throws Exception {
    List<String> lines = source.lines();
    Path in = writeBytes("bom", ("\uFEFF" + String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl").ok();
    assertEquals(out.out(), 0, out.count("rejected"));
    assertEquals(source.expected(), r.rows());
  }
}
