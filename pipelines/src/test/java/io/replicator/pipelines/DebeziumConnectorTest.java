package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.stream.SourceEvent;
import io.replicator.testing.DebeziumCapture;
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
 * What Debezium's own PostgreSQL connector writes for a table with TOASTed columns
 * ({@link ConnectorCapture}), replicated from files in two runs, each shuffled with duplicates,
 * then replayed whole: the target ends equal to the table, with no placeholder anywhere.
 */
public class DebeziumConnectorTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aTableWithToastedColumnsReplicatesExactlyThroughTheConnectorsDefaults() throws Exception {
    ConnectorCapture captured = ConnectorCapture.get();
    List<String> values = new ArrayList<>();
    long placeholders = 0;
    long splitHalves = 0;
    for (DebeziumCapture.Event e : captured.events) {
      if (e.value() != null) { // A null value is the tombstone after a delete: files hold none.
        values.add(e.value());
        placeholders += e.value().contains(ToastedHistory.PLACEHOLDER) ? 1 : 0;
        splitHalves += e.headers().containsKey(SourceEvent.NEW_KEY_HEADER) || e.headers().containsKey(SourceEvent.OLD_KEY_HEADER)
            ? 1 : 0;
      }
    }
    assertTrue("updates that leave TOASTed values out: " + placeholders, placeholders > 40);
    assertTrue("key changes split in two, marked by the connector's headers: " + splitHalves, splitHalves > 20);

    Replication r = new Replication(tmp.getRoot().toPath());
    Path schema = Files.writeString(r.dir.resolve("docs.json"), ToastedHistory.SCHEMA_JSON);
    Random random = new Random(7);
    int half = values.size() / 2;
    List<List<String>> runs = List.of(values.subList(0, half), values.subList(half, values.size()), values);
    for (List<String> run : runs) { // The last run replays everything.
      Path in = r.write(Replication.shuffledWithDuplicates(run, random, 0.2), 3);
      Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl", "--changeFormat=debezium", "--table=docs",
          "--keys=id", "--schema=" + schema, "--deletes=hard").ok();
      assertEquals(out.out(), 0, out.countOrZero("rejected"));
    }
    assertEquals(captured.sourceRows, ConnectorCapture.targetRows(r.warehouse, false));
  }
}
