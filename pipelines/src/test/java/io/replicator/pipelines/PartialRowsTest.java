package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.testing.DebeziumEvents;
import io.replicator.testing.ToastedHistory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Updates that leave TOASTed columns out (Debezium's placeholder in their place) end with the
 * source's values, never the placeholder, whatever the order, duplication and replay of events,
 * and however the history falls into runs.
 */
public class PartialRowsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void toastedColumnsKeepTheirValuesWithHardDeletes() throws Exception {
    toastedHistoryEndsExact("hard", 11);
  }

  @Test
  public void toastedColumnsKeepTheirValuesWithSoftDeletes() throws Exception {
    toastedHistoryEndsExact("soft", 12);
  }

  @Test
  public void keyMovesThatLeaveColumnsOutAreCompletedWithHardDeletes() throws Exception {
    Replication.Outcome last = toastedHistoryEndsExact("hard", 13, true);
    assertEquals(last.out(), 0, last.countOrZero("completed")); // the replay completes nothing again
  }

  @Test
  public void keyMovesThatLeaveColumnsOutAreCompletedWithSoftDeletes() throws Exception {
    toastedHistoryEndsExact("soft", 14, true);
  }

  @Test
  public void keyChangesSplitInTwoByTheConnectorAreCompleted() throws Exception {
    // The connector's default: a delete of the old key and a create of the new one at the same LSN,
    // the create with placeholders; each run's files shuffled, so the two arrive apart.
    toastedHistoryEndsExact("hard", 15, false, true);
  }

  private void toastedHistoryEndsExact(String deleteMode, long seed) throws Exception {
    toastedHistoryEndsExact(deleteMode, seed, false);
  }

  private Replication.Outcome toastedHistoryEndsExact(String deleteMode, long seed, boolean movesInUpdates)
      throws Exception {
    return toastedHistoryEndsExact(deleteMode, seed, movesInUpdates, false);
  }

  /** Three runs in source order, shuffled and duplicated, the last with the first's again; then a replay. */
  private Replication.Outcome toastedHistoryEndsExact(String deleteMode, long seed, boolean movesInUpdates,
      boolean splitMoves) throws Exception {
    Replication r = new Replication(tmp.getRoot().toPath());
    Path schema = Files.writeString(r.dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    ToastedHistory history = new ToastedHistory(seed);
    if (movesInUpdates) {
      history.movingKeysInUpdates();
    }
    if (splitMoves) {
      history.splittingKeyMovesLeavingColumnsOut();
    }
    long completed = 0;
    Random random = new Random(seed);
    List<List<String>> runs = new ArrayList<>();
    for (int run = 0; run < 3; run++) {
      int from = history.events.size();
      history.generate(150, 40);
      List<String> events = List.copyOf(history.events.subList(from, history.events.size()));
      runs.add(events);
      List<String> input = new ArrayList<>(events);
      if (run == 2) {
        input.addAll(runs.get(0)); // The last run also replays the first: old changes mixed with new ones.
      }
      Replication.Outcome out = replicate(r, schema, deleteMode, Replication.shuffledWithDuplicates(input, random, 0.2));
      assertEquals("after run " + (run + 1) + out.out() + deadLetters(r), history.rows(), rows(r, deleteMode));
      assertEquals(0, out.count("rejected"));
      completed += out.countOrZero("completed");
    }
    long partial = history.events.stream().filter(e -> e.contains(ToastedHistory.PLACEHOLDER)).count();
    assertTrue("the history has updates that leave columns out: " + partial, partial > 50);
    if (movesInUpdates) {
      long moves = history.events.stream().filter(e -> e.contains("\"op\":\"u\"") && e.contains("\"before\":{\"id\""))
          .count();
      assertTrue("the history moves keys in updates: " + moves, moves > 10);
      assertEquals("key moves completed, each once", moves, completed);
    }
    if (splitMoves) {
      long creates = history.events.stream().filter(e -> e.contains("\"op\":\"c\"")
          && ToastedHistory.leavesColumnsOut(e)).count();
      assertTrue("the history splits key moves leaving columns out: " + creates, creates > 10);
      assertEquals("split key moves completed, each once", creates, completed);
    }

    // A replay of the first two runs' events changes nothing.
    List<String> replay = new ArrayList<>(runs.get(0));
    replay.addAll(runs.get(1));
    Replication.Outcome out = replicate(r, schema, deleteMode, Replication.shuffledWithDuplicates(replay, random, 0.1));
    assertEquals(history.rows(), rows(r, deleteMode));
    assertEquals(0, out.count("rejected"));
    assertEquals(List.of("0"), r.query("SELECT count(*) FROM docs WHERE body LIKE '%" + ToastedHistory.PLACEHOLDER
        + "%' OR CAST(doc AS VARCHAR) LIKE '%" + ToastedHistory.PLACEHOLDER + "%' OR CAST(blob AS VARCHAR) LIKE '%"
        + ToastedHistory.PLACEHOLDER + "%'"));
    return out;
  }

  @Test
  public void aPartialUpdateOfAKeyTheTargetDoesNotHoldIsADeadLetterNotARow() throws Exception {
    Replication r = new Replication(tmp.getRoot().toPath());
    Path schema = Files.writeString(r.dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    String p = DebeziumEvents.quote(ToastedHistory.PLACEHOLDER);
    String whole = "{\"id\":1,\"title\":\"t\",\"body\":\"b\",\"doc\":null,\"blob\":null,\"n\":1}";
    replicate(r, schema, "hard", List.of(DebeziumEvents.postgres("docs", "c", "null", whole, 100, 100, 0)));
    Replication.Outcome out = replicate(r, schema, "hard", List.of(
        DebeziumEvents.postgres("docs", "u", "null",
            "{\"id\":1,\"title\":\"t2\",\"body\":" + p + ",\"doc\":null,\"blob\":null,\"n\":2}", 200, 200, 0),
        DebeziumEvents.postgres("docs", "u", "null",
            "{\"id\":2,\"title\":\"x\",\"body\":" + p + ",\"doc\":null,\"blob\":null,\"n\":3}", 200, 201, 0)));
    assertEquals(List.of("1|t2|b|null|null|2"), r.query("SELECT id, title, body, doc, blob, n FROM docs"));
    assertEquals(1, out.count("rejected"));
    assertEquals(1, out.count("incomplete"));
    List<String> letters = deadLetters(r);
    assertEquals(letters.toString(), 1, letters.size());
    assertTrue(letters.get(0), letters.get(0).contains("\\\"id\\\":2") || letters.get(0).contains("\"id\":2"));
    assertTrue(letters.get(0), letters.get(0).contains("the target does not hold"));
  }

  @Test
  public void nativeKeyMovesAcrossBatchesTakeTheOldKeysValues() throws Exception {
    Replication r = new Replication(tmp.getRoot().toPath());
    Path schema = Files.writeString(r.dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    String unchanged = ",\"_unchanged\":[\"body\",\"doc\",\"blob\",\"n\"]";
    List<String> first = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      first.add("{\"id\":" + i + ",\"title\":\"t" + i + "\",\"body\":\"b" + i + "\",\"n\":" + i
          + ",\"_op\":\"INSERT\",\"_sequence_num\":" + (10 + i) + "}");
    }
    replicateNative(r, schema, first);
    List<String> second = new ArrayList<>(List.of(
        // 1 changes its title, then moves to 101 and on to 102, its body left out each time.
        "{\"id\":1,\"title\":\"u1\",\"_op\":\"UPDATE\",\"_sequence_num\":100" + unchanged + "}",
        "{\"id\":101,\"title\":\"m1\",\"_op\":\"UPDATE\",\"_sequence_num\":110,\"_before_id\":1" + unchanged + "}",
        "{\"id\":102,\"title\":\"m2\",\"_op\":\"UPDATE\",\"_sequence_num\":120,\"_before_id\":101" + unchanged + "}",
        // A move of a key nothing holds: no row to take the values from.
        "{\"id\":998,\"title\":\"x\",\"_op\":\"UPDATE\",\"_sequence_num\":300,\"_before_id\":999" + unchanged + "}"));
    for (int i = 2; i <= 30; i++) {
      second.add("{\"id\":" + (200 + i) + ",\"title\":\"m" + i + "\",\"_op\":\"UPDATE\",\"_sequence_num\":"
          + (200 + i) + ",\"_before_id\":" + i + unchanged + "}");
    }
    Replication.Outcome out = replicateNative(r, schema, Replication.shuffledWithDuplicates(second, new Random(3), 0.3));
    assertTrue("the keys fall in several batches: " + out.out(), out.count("merged") > 3);
    assertEquals(out.out(), 31, out.count("completed")); // 29 single moves and a chain of two
    assertEquals(1, out.count("incomplete"));
    List<String> expected = new ArrayList<>(List.of("102|m2|b1|null|null|1"));
    for (int i = 2; i <= 30; i++) {
      expected.add((200 + i) + "|m" + i + "|b" + i + "|null|null|" + i);
    }
    for (int i = 31; i <= 40; i++) {
      expected.add(i + "|t" + i + "|b" + i + "|null|null|" + i);
    }
    expected.sort(null);
    assertEquals(expected, rows(r, "hard"));
    List<String> letters = deadLetters(r);
    assertEquals(letters.toString(), 1, letters.size());
    assertTrue(letters.get(0), letters.get(0).contains("998"));

    // The same lines again change nothing and complete nothing.
    out = replicateNative(r, schema, second);
    assertEquals(expected, rows(r, "hard"));
    assertEquals(out.out(), 0, out.countOrZero("completed"));

    // Moves read again (a redelivery) beside new moves out of the keys they made: each new move
    // takes the row the target holds, which the replayed move made, not nothing.
    List<String> third = new ArrayList<>(second.subList(4, second.size()));
    for (int i = 2; i <= 30; i++) {
      third.add("{\"id\":" + (400 + i) + ",\"title\":\"n" + i + "\",\"_op\":\"UPDATE\",\"_sequence_num\":"
          + (400 + i) + ",\"_before_id\":" + (200 + i) + unchanged + "}");
    }
    out = replicateNative(r, schema, Replication.shuffledWithDuplicates(third, new Random(4), 0.3));
    assertEquals(out.out(), 29, out.count("completed"));
    assertEquals(out.out(), 0, out.countOrZero("rejected"));
    expected.clear();
    expected.add("102|m2|b1|null|null|1");
    for (int i = 2; i <= 30; i++) {
      expected.add((400 + i) + "|n" + i + "|b" + i + "|null|null|" + i);
    }
    for (int i = 31; i <= 40; i++) {
      expected.add(i + "|t" + i + "|b" + i + "|null|null|" + i);
    }
    expected.sort(null);
    assertEquals(expected, rows(r, "hard"));
  }

  private static Replication.Outcome replicateNative(Replication r, Path schema, List<String> lines) throws Exception {
    Path in = r.write(lines, 3);
    return r.run("--changes=" + in + "/*.jsonl", "--changeFormat=native", "--table=docs", "--keys=id",
        "--schema=" + schema, "--batchMaxBytes=1KB").ok();
  }

  private static Replication.Outcome replicate(Replication r, Path schema, String deleteMode, List<String> events)
      throws Exception {
    Path in = r.write(events, 3);
    List<String> args = new ArrayList<>(List.of("--changes=" + in + "/*.jsonl", "--changeFormat=debezium",
        "--table=docs", "--keys=id", "--schema=" + schema, "--deletes=" + deleteMode));
    return r.run(args.toArray(String[]::new)).ok();
  }

  private static List<String> rows(Replication r, String deleteMode) throws Exception {
    return r.query(ToastedHistory.selectRows("docs", deleteMode.equals("soft")));
  }

  private static List<String> deadLetters(Replication r) throws Exception {
    List<String> lines = new ArrayList<>();
    try (var files = Files.walk(r.dir.resolve("staging"))) {
      for (Path f : files.filter(f -> f.toString().contains("dead-letters") && Files.isRegularFile(f)).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    lines.removeIf(String::isBlank);
    return lines;
  }
}
