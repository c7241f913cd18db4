package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code replicate --warehouse=bigquery:...} end to end against a fake BigQuery endpoint: every
 * batch is one load and one merge job, re-running submits nothing new, and the summary reports
 * what BigQuery billed.
 */
public class BigQueryReplicateTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private FakeBigQuery fake;
  private Replication r;

  @Before
  public void setUp() throws Exception {
    fake = new FakeBigQuery();
    r = new Replication(tmp.getRoot().toPath());
  }

  @After
  public void tearDown() {
    fake.close();
  }

  private Replication.Outcome run(Path in) {
    return r.run("--changes=" + in + "/*.jsonl", "--warehouse=bigquery:my-project.replica",
        "--bigQueryEndpoint=" + fake.endpoint(), "--bigQueryJobLabels=team=data",
        "--batchMaxRows=400");
  }

  @Test
  public void everyBatchIsOneLoadAndOneMergeAndARerunAppliesNothingTwice() throws Exception {
    SourceSimulator source = new SourceSimulator(7, 0).run(1_000);
    Path in = r.write(Replication.shuffledWithDuplicates(source.lines(), new Random(8), 0.1), 3);

    Replication.Outcome first = run(in).ok();
    long batches = first.count("merged");
    assertTrue(first.out(), batches >= 2);
    List<FakeBigQuery.Request> jobs = fake.jobInserts();
    assertEquals(batches, jobs.stream().filter(q -> q.jobId().contains("_load_")).count());
    assertEquals(batches, jobs.stream().filter(q -> q.jobId().contains("_merge_")).count());
    for (FakeBigQuery.Request q : jobs) {
      assertEquals("jobs run in the dataset's location", "EU", q.body().path("jobReference").path("location").asText());
      assertEquals("data", q.body().path("configuration").path("labels").path("team").asText());
    }
    assertThat(first.out(), containsString("processed"));
    assertEquals(batches * 250, first.count("slot-ms"));
    assertFalse("staging tables are dropped",
        fake.tables.keySet().stream().anyMatch(t -> t.startsWith("_staging_")));
    try (Stream<Path> staged = Files.walk(r.dir.resolve("staging"))) {
      assertEquals("staged files are removed", 0,
          staged.filter(p -> p.toString().endsWith(".jsonl") && !p.toString().contains("dead-letters")).count());
    }

    // The same input again: every batch is found applied; no load or merge job is submitted.
    int before = fake.jobInserts().size();
    Replication.Outcome second = run(in).ok();
    assertEquals(0, second.count("merged"));
    assertThat(second.out(), containsString(batches + " already applied by an earlier run"));
    assertFalse(fake.jobInserts().subList(before, fake.jobInserts().size()).stream()
        .anyMatch(q -> q.jobId().contains("_load_") || q.jobId().contains("_merge_")));
    assertEquals(batches, fake.appliedBatches.size());
  }

  @Test
  public void aReloadRecordsItselfLoadsEveryBatchThenAppliesInOneScript() throws Exception {
    Path snapshot = r.dir.resolve("snapshot");
    Files.createDirectories(snapshot);
    Files.writeString(snapshot.resolve("rows.jsonl"), "{\"id\":1,\"region\":\"a\",\"amount\":5}\n"
        + "{\"id\":2,\"region\":\"b\",\"amount\":6}\n");
    // No --snapshotSequence: the reload takes one above the target's highest and records it first.
    Replication.Outcome out = r.run("--snapshot=" + snapshot + "/*.jsonl", "--snapshotMode=replace",
        "--maxReloadDeletePercent=70", "--warehouse=bigquery:my-project.replica",
        "--bigQueryEndpoint=" + fake.endpoint()).ok();
    // The fake's target holds 100 live rows of which 60 are older than the reload.
    assertEquals(60, out.count("removed"));
    List<String> scripts = fake.jobInserts().stream()
        .map(q -> q.body().path("configuration").path("query").path("query").asText()).toList();
    int start = indexOf(scripts, "INSERT INTO `my-project`.`replica`.`_replicator_reloads`");
    int apply = indexOf(scripts, "SELECT refused, n_inserted");
    assertTrue(scripts.toString(), start >= 0 && start < apply);
    assertEquals("no batch is merged on its own", -1, indexOf(scripts, "DECLARE already_applied"));
    List<String> kinds = fake.jobInserts().stream()
        .map(q -> q.body().path("configuration").path("labels").path("replicator").asText()).toList();
    assertTrue(kinds.toString(), kinds.lastIndexOf("load") >= 0 && kinds.lastIndexOf("load") < apply);

    Replication.Outcome refused = r.run("--snapshot=" + snapshot + "/*.jsonl", "--snapshotMode=replace",
        "--snapshotSequence=60", "--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + fake.endpoint());
    assertEquals(refused.err(), 1, refused.code());
    assertThat(refused.err(), containsString("would remove 60 of its 100 live rows"));
  }

  private static int indexOf(List<String> scripts, String part) {
    for (int i = 0; i < scripts.size(); i++) {
      if (scripts.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }
}
