package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;

import io.replicator.testing.DebeziumEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Debezium events from PostgreSQL, shuffled, replicated end to end with two-part sequences. */
public class DebeziumReplicationTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static String event(String op, String before, String after, long commitLsn, long lsn) {
    return DebeziumEvents.enveloped(DebeziumEvents.postgres("t", op, before, after, commitLsn, lsn, 1_700_000_000_000L));
  }

  private static String row(long id, String region, String select) {
    return "{\"id\":" + id + ",\"region\":\"" + region + "\",\"select\":\"" + select + "\",\"설명\":null,\"amount\":1}";
  }

  @Test
  public void eventsInAnyOrderEndInTheSourceState() throws Exception {
    List<String> events = new java.util.ArrayList<>(List.of(
        event("r", "null", row(1, "a", "snap"), 0, 10),
        event("r", "null", row(2, "a", "snap"), 0, 10),
        event("c", "null", row(3, "a", "v1"), 100, 110),
        // one transaction (commit 200): row 1 moves to key 4, then row 3 updates in place
        event("u", row(1, "a", "snap"), row(4, "a", "moved"), 200, 150),
        event("u", row(3, "a", "v1"), row(3, "a", "v2"), 200, 160),
        // a later transaction (commit 300) with a lower change LSN than the one above
        event("d", row(2, "a", "snap"), "null", 300, 120),
        "null",
        "{\"schema\":{},\"payload\":null}"));
    java.util.Collections.shuffle(events, new java.util.Random(1));
    events.add(events.get(0)); // redelivered
    Replication r = new Replication(tmp.getRoot().toPath());
    Path in = r.write(events, 2);
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl", "--changeFormat=debezium").ok();
    assertEquals(List.of("3|a|v2|null|1", "4|a|moved|null|1"), r.rows());
    assertEquals(2, out.count("skipped"));
    assertEquals(List.of("3|a|200|160", "4|a|200|150"), r.query("SELECT id, region, _sequence_num, _sequence_num_2 FROM t"));
    assertEquals(List.of("1|a|200|150", "2|a|300|120"), r.query("SELECT * FROM _deleted_t"));
    assertEquals(0, Files.list(tmp.getRoot().toPath().resolve("staging")).filter(p -> p.toString().endsWith("dead-letters")).count());
  }
}
