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

  private void toastedHistoryEndsExact(String deleteMode, long seed) throws Exception {
    Replication r = new Replication(tmp.getRoot().toPath());
    Path schema = Files.writeString(r.dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    ToastedHistory history = new ToastedHistory(seed);
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
    }
    long partial = history.events.stream().filter(e -> e.contains(ToastedHistory.PLACEHOLDER)).count();
    assertTrue("the history has updates that leave columns out: " + partial, partial > 50);

    // A replay of the first two runs' events changes nothing.
    List<String> replay = new ArrayList<>(runs.get(0));
    replay.addAll(runs.get(1));
    Replication.Outcome out = replicate(r, schema, deleteMode, Replication.shuffledWithDuplicates(replay, random, 0.1));
    assertEquals(history.rows(), rows(r, deleteMode));
    assertEquals(0, out.count("rejected"));
    assertEquals(List.of("0"), r.query("SELECT count(*) FROM docs WHERE body LIKE '%" + ToastedHistory.PLACEHOLDER
        + "%' OR CAST(doc AS VARCHAR) LIKE '%" + ToastedHistory.PLACEHOLDER + "%' OR CAST(blob AS VARCHAR) LIKE '%"
        + ToastedHistory.PLACEHOLDER + "%'"));
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
