package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code --changeFormat=dead-letters}: once the cause is fixed, the rejected lines are read again
 * in their own format, arrive, and their files are set aside; a line rejected again is a dead
 * letter again, naming its original file and line.
 */
public class DeadLetterRedriveTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  public void rejectedLinesArriveOnceTheSchemaIsFixedAndTheirFilesAreSetAside() throws Exception {
    Replication r = new Replication(tmp.getRoot().toPath());
    List<String> lines = List.of(
        "{\"id\":1,\"region\":\"east\",\"amount\":10,\"_op\":\"INSERT\",\"_sequence_num\":1}",
        "{\"id\":2,\"region\":\"east\",\"amount\":20,\"note\":\"new column\",\"_op\":\"INSERT\",\"_sequence_num\":2}",
        "{\"id\":3,\"region\":\"west\",\"amount\":30,\"_op\":\"INSERT\",\"_sequence_num\":3}",
        "{\"id\":3,\"region\":\"west\",\"amount\":31,\"note\":\"한국어\",\"_op\":\"UPDATE\",\"_sequence_num\":4}",
        "{\"id\":4,\"region\":");
    Path in = r.write(lines, 1);
    Replication.Outcome first = r.run("--changes=" + in + "/*.jsonl").ok();
    assertEquals(first.out(), 3, first.count("rejected"));
    Path dead = r.dir.resolve("staging/dead-letters");
    List<Path> letters = rejectedFiles(dead);
    assertEquals(1, letters.size());
    for (String l : Files.readAllLines(letters.get(0))) {
      assertEquals(l, "native", JSON.readTree(l).get("format").asText());
    }

    // The fix: the schema and the target gain the column the source added.
    Files.writeString(r.dir.resolve("schema.json"), SourceSimulator.SCHEMA.replace("]",
        ",\n {\"name\":\"note\",\"type\":\"STRING\"}]"));
    Replication.cli("sql", "--write", "--warehouse=duckdb:" + r.warehouse, "ALTER TABLE t ADD COLUMN note VARCHAR").ok();
    Replication.Outcome again = r.run("--changes=" + dead + "/*.jsonl", "--changeFormat=dead-letters").ok();
    assertEquals(again.out(), 3, again.count("read"));
    assertEquals(again.out(), 1, again.count("rejected"));
    assertTrue(again.out(), again.out().contains("redriven    1 dead-letter file read again, moved to "
        + dead.resolve("redriven")));
    assertEquals(List.of("1|east|10|null", "2|east|20|new column", "3|west|31|한국어"),
        r.query("SELECT id || '|' || region || '|' || amount || '|' || coalesce(note, 'null') FROM t ORDER BY id"));

    // What is rejected again is a dead letter again, naming where it first came from.
    List<Path> left = rejectedFiles(dead);
    assertEquals(1, left.size());
    assertTrue(Files.exists(dead.resolve("redriven").resolve(letters.get(0).getFileName())));
    List<String> rejectedAgain = Files.readAllLines(left.get(0));
    assertEquals(1, rejectedAgain.size());
    JsonNode d = JSON.readTree(rejectedAgain.get(0));
    assertEquals(in.resolve("part-0.jsonl").toString(), d.get("source").asText());
    assertEquals(5, d.get("line").asLong());
    assertEquals("{\"id\":4,\"region\":", d.get("input").asText());

    // A dead letter without a format (a line that was not valid UTF-8, a CSV record) cannot be read
    // again as it stands: it stays a dead letter, with its reason.
    Path other = Files.createDirectories(r.dir.resolve("other-dead"));
    Files.writeString(other.resolve("rejected-x.jsonl"), "{\"source\":\"/in/x.jsonl\",\"line\":7,\"input\":"
        + "\"{\\\"id\\\":\\\"\uFFFD\\\"}\",\"reason\":\"invalid UTF-8 at byte 8\"}\n");
    Replication.Outcome stays = r.run("--changes=" + other + "/*.jsonl", "--changeFormat=dead-letters",
        "--deadLetter=" + other).ok();
    assertEquals(stays.out(), 1, stays.count("rejected"));
    List<Path> still = rejectedFiles(other);
    assertEquals(1, still.size());
    assertTrue(Files.readString(still.get(0)), Files.readString(still.get(0)).contains(
        "\"reason\":\"cannot be read again as it stands: invalid UTF-8 at byte 8\""));

    Replication.Outcome bad = r.run("--changes=" + dead + "/*.jsonl", "--changeFormat=dead-letters", "--streaming=true");
    assertEquals(bad.err(), 2, bad.code());
    assertTrue(bad.err(), bad.err().contains("--changeFormat=dead-letters reads dead letters again in a batch run"));
  }

  private static List<Path> rejectedFiles(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("rejected-")).sorted().toList();
    }
  }
}
