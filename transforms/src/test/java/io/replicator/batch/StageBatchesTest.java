package io.replicator.batch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.StagedBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class StageBatchesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void inputLargerThanTheBoundIsCutIntoBoundedBatchesOfWholeKeys() throws Exception {
    Random random = new Random(3);
    List<Change> changes = new ArrayList<>();
    Map<String, Change> latest = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      String key = "[" + random.nextInt(700) + "]";
      Change c = new Change("t", random.nextInt(5) == 0 ? ChangeOp.DELETE : ChangeOp.UPSERT, key,
          Sequence.of(i), "\"id\":" + key.substring(1, key.length() - 1) + ",\"pad\":\"" + "한".repeat(random.nextInt(40)) + "\"");
      changes.add(c);
      latest.merge(key, c, (a, b) -> b.supersedes(a) ? b : a);
    }
    HashMap<String, Long> latestSequence = new HashMap<>();
    latest.forEach((k, c) -> latestSequence.put(k, c.sequence().part(0)));
    long maxBytes = 8 * 1024;
    PCollection<StagedBatch> staged = p.apply(Create.of(changes).withCoder(ChangeCoder.of()))
        .apply(StageBatches.to(tmp.getRoot().getPath()).withMaxBytes(maxBytes).withMaxRows(100));
    PAssert.that(staged).satisfies(batches -> {
      Set<String> seenKeys = new HashSet<>();
      int count = 0;
      try {
        for (StagedBatch b : batches) {
          count++;
          Path file = Path.of(b.file());
          List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
          assertEquals(b.rows(), lines.size());
          assertEquals(b.bytes(), Files.size(file));
          assertTrue("batch of " + b.bytes() + " bytes", b.bytes() <= maxBytes);
          assertTrue(b.rows() <= 100);
          assertTrue(file.toString().contains("/t/" + b.batchId() + "/batch.jsonl"));
          for (String line : lines) {
            assertTrue(line, line.endsWith(",\"_batch_id\":\"" + b.batchId() + "\"}"));
            String id = line.substring(line.indexOf(":") + 1, line.indexOf(","));
            assertTrue("key " + id + " staged twice", seenKeys.add(id));
            assertTrue(line, line.contains("\"_sequence_num\":" + latestSequence.get("[" + id + "]") + ","));
          }
        }
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      assertEquals(latestSequence.size(), seenKeys.size());
      assertTrue("expected several batches, got " + count, count > 5);
      return null;
    });
    p.run().waitUntilFinish();
  }
}
