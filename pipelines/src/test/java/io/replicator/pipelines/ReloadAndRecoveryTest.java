package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.batch.BatchPlan;
import io.replicator.batch.ReduceWhileReading;
import io.replicator.batch.StageBatches;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.source.ReadChanges;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Full-table reloads, the reload/stream overlap, and runs that die part way and are run again. */
public class ReloadAndRecoveryTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static Path snapshotFile(Replication r, List<String> lines) throws Exception {
    return r.write(lines, 1).resolve("part-0.jsonl");
  }

  @Test
  public void reloadFillsAGapRemovesVanishedRowsAndKeepsLaterChanges() throws Exception {
    SourceSimulator source = new SourceSimulator(11, 0).run(600);
    Replication r = new Replication(tmp.getRoot().toPath());
    r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl").ok();

    // The stream misses a stretch of changes; a reload taken at the end of it covers the gap.
    int gapStart = source.lines().size();
    source.run(400);
    long reloadSequence = source.sequence();
    List<String> snapshot = source.snapshotLines();
    int afterReload = source.lines().size();
    source.run(300);
    List<String> later = source.lines().subList(afterReload, source.lines().size());
    assertTrue(gapStart < afterReload);

    // Changes after the reload arrive first (the stream runs ahead); the reload lands after them.
    r.run("--changes=" + r.write(later, 2) + "/*.jsonl").ok();
    Replication.Outcome reload = r.run("--snapshot=" + snapshotFile(r, snapshot), "--snapshotMode=replace",
        "--snapshotSequence=" + reloadSequence, "--maxReloadDeletePercent=100").ok();
    assertEquals(source.expected(), r.rows());
    assertTrue(reload.out(), reload.count("removed") > 0);
    assertTrue(reload.out(), reload.count("ignored") > 0); // rows changed after the reload won
  }

  @Test
  public void aRefusedReloadLeavesTheTargetExactlyAsItWasThenACorrectOneApplies() throws Exception {
    SourceSimulator source = new SourceSimulator(12, 0).run(500);
    Replication r = new Replication(tmp.getRoot().toPath());
    r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl").ok();
    List<String> before = r.everything();
    // A partial export taken later: a quarter of the rows, each with a changed amount.
    source.run(200);
    List<String> partial = source.snapshotLines().subList(0, source.snapshotLines().size() / 4);
    Replication.Outcome out = r.run("--snapshot=" + snapshotFile(r, partial), "--snapshotMode=replace");
    assertEquals(1, out.code());
    assertTrue(out.err(), out.err().startsWith("replicator: failed: the reload of t would remove "));
    assertTrue(out.err(), out.err().contains("more than --maxReloadDeletePercent=50; nothing of it was applied"));
    assertEquals("not one row of the refused reload was applied", before, r.everything());
    // Staged rows live in a temporary table of the merge's transaction: none is left in the file.
    assertEquals(List.of("0"), r.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '%staging%'"));
    // The full export then applies.
    r.run("--snapshot=" + snapshotFile(r, source.snapshotLines()), "--snapshotMode=replace",
        "--maxReloadDeletePercent=100").ok();
    assertEquals(source.expected(), r.rows());
  }

  @Test
  public void anInterruptedReloadResumesWithItsSequenceAndEndsAsAnUninterruptedOne() throws Exception {
    SourceSimulator source = new SourceSimulator(13, 0).run(500);
    List<String> history = new ArrayList<>(source.lines());
    source.run(300);
    List<String> snapshot = source.snapshotLines();

    Replication clean = new Replication(tmp.newFolder("clean").toPath());
    clean.run("--changes=" + clean.write(history, 1) + "/*.jsonl").ok();
    Path cleanSnapshot = snapshotFile(clean, snapshot);
    Replication.Outcome done = clean.run("--snapshot=" + cleanSnapshot, "--snapshotMode=replace",
        "--maxReloadDeletePercent=100").ok();

    Replication broken = new Replication(tmp.newFolder("broken").toPath());
    broken.run("--changes=" + broken.write(history, 1) + "/*.jsonl").ok();
    Path snap = snapshotFile(broken, snapshot);
    // The reload is staged, then fails before it is applied (here: refused), as if killed there.
    Replication.Outcome first = broken.run("--snapshot=" + snap, "--snapshotMode=replace", "--maxReloadDeletePercent=0");
    assertEquals(1, first.code());
    Replication.Outcome again = broken.run("--snapshot=" + snap, "--snapshotMode=replace", "--maxReloadDeletePercent=100").ok();
    assertTrue(again.out(), again.out().contains("snapshot rows at _sequence_num " + done.out().replaceAll(
        "(?s).*snapshot rows at _sequence_num (\\d+).*", "$1")));
    assertEquals(source.expected(), broken.rows());
    assertEquals(clean.everything(), broken.everything());
  }

  /** Merges like MergeBatches, but the process "dies" after a few batches. */
  static final class DyingMerge extends DoFn<StagedBatch, Void> {
    static final AtomicInteger MERGED = new AtomicInteger();
    private final String warehouse;
    private final TargetTable table;
    private final int dieAfter;

    DyingMerge(String warehouse, TargetTable table, int dieAfter) {
      this.warehouse = warehouse;
      this.table = table;
      this.dieAfter = dieAfter;
    }

    @ProcessElement
    public void process(@Element StagedBatch batch) {
      synchronized (MERGED) {
        if (MERGED.get() >= dieAfter) {
          throw new IllegalStateException("worker died");
        }
        try (DuckDbWarehouse w = DuckDbWarehouse.open(Path.of(warehouse))) {
          w.merge(table, batch);
        }
        MERGED.incrementAndGet();
      }
    }
  }

  @Test
  public void aRunThatDiesAfterSomeBatchesIsRunAgainToTheSameTable() throws Exception {
    SourceSimulator source = new SourceSimulator(14, 0).run(1500);
    List<String> lines = Replication.shuffledWithDuplicates(source.lines(), source.random(), 0.2);

    Replication clean = new Replication(tmp.newFolder("clean").toPath());
    clean.run("--changes=" + clean.write(lines, 2) + "/*.jsonl", "--batchMaxBytes=16KB").ok();

    Replication dying = new Replication(tmp.newFolder("dying").toPath());
    Path in = dying.write(lines, 2);
    // First attempt: the same read and staging, then merging dies after 4 batches.
    TableSchema schema = TableSchema.fromBigQueryJson(SourceSimulator.SCHEMA, List.of("id", "region"));
    TargetTable table = new TargetTable("t", schema, DeleteMode.HARD);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dying.warehouse)) {
      w.ensureTables(table);
    }
    long bytes = 0;
    try (var files = Files.list(in)) {
      for (Path f : files.toList()) {
        bytes += Files.size(f);
      }
    }
    int batches = BatchPlan.forInputBytes(bytes, 16 * 1024, 5_000_000L);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(ReduceWhileReading.of(ReadChanges.from(in + "/*.jsonl").withTable("t").withSchema(schema), batches))
        .batches()
        .apply(StageBatches.reduced(dying.dir.resolve("staging").toString(), 16 * 1024, 5_000_000L))
        .apply(ParDo.of(new DyingMerge(dying.warehouse.toString(), table, 4)));
    DyingMerge.MERGED.set(0);
    assertThrows(RuntimeException.class, () -> p.run().waitUntilFinish());
    assertEquals(4, DyingMerge.MERGED.get());
    assertEquals(List.of("4"), dying.query("SELECT COUNT(*) FROM _replicator_batches"));

    Replication.Outcome rerun = dying.run("--changes=" + in + "/*.jsonl", "--batchMaxBytes=16KB").ok();
    // The batches left are merged together, into DuckDB, as one change set.
    assertTrue(rerun.out(), rerun.out().matches(
        "(?s).*\n  merged +[1-9][0-9]* batches as 1 change set \\(4 already applied by an earlier run, skipped\\)\n.*"));
    assertEquals(source.expected(), dying.rows());
    assertEquals(clean.everything(), dying.everything());
    assertEquals(List.of("0"), dying.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE '%staging%'"));
  }

  @Test
  public void csvSnapshotThenChangesInOneRun() throws Exception {
    SourceSimulator source = new SourceSimulator(15, 100).run(300);
    List<String> snapshotCsv = new ArrayList<>(List.of("id,region,select,설명,amount"));
    Replication r = new Replication(tmp.getRoot().toPath());
    // A snapshot taken at sequence 100, before the change history starts: one row the changes never touch.
    snapshotCsv.add("999999,\"old \"\"row\"\"\",\"a,b\",\"멀티\nline\",");
    Path csv = tmp.getRoot().toPath().resolve("snapshot.csv");
    Files.writeString(csv, String.join("\n", snapshotCsv) + "\n");
    Replication.Outcome out = r.run("--snapshot=" + csv, "--snapshotFormat=csv", "--snapshotSequence=100",
        "--changes=" + r.write(source.lines(), 1) + "/*.jsonl").ok();
    List<String> expected = new ArrayList<>(source.expected());
    expected.add("999999|old \"row\"|a,b|멀티\nline|null");
    expected.sort(null);
    assertEquals(expected, r.rows());
    assertEquals(0, out.count("rejected"));
  }
}
