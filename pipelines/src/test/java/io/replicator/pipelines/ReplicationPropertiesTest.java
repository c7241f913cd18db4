package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The correctness properties of DESIGN.md, end to end: generated source histories replicated
 * into a real DuckDB file through the whole pipeline on the DirectRunner, compared with the
 * source's state.
 */
public class ReplicationPropertiesTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void targetEqualsSourceWhateverTheOrderDuplicatesAndFiles() throws Exception {
    SourceSimulator source = new SourceSimulator(1, 0).run(1500);
    Replication r = new Replication(tmp.getRoot().toPath());
    Path in = r.write(Replication.shuffledWithDuplicates(source.lines(), source.random(), 0.3), 3);
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl").ok();
    assertEquals(source.expected(), r.rows());
    assertEquals(0, out.count("rejected"));
    assertTrue(out.count("superseded") > 0);
  }

  @Test
  public void inputCutIntoManyBatchesGivesTheSameTable() throws Exception {
    SourceSimulator source = new SourceSimulator(2, 0).run(1500);
    Replication one = new Replication(tmp.newFolder("one").toPath());
    one.run("--changes=" + one.write(source.lines(), 1) + "/*.jsonl").ok();
    Replication many = new Replication(tmp.newFolder("many").toPath());
    Replication.Outcome out = many.run("--changes=" + many.write(source.lines(), 2) + "/*.jsonl",
        "--batchMaxBytes=16KB", "--batchMaxRows=150").ok();
    long batches = out.count("merged");
    assertTrue("expected many batches, got " + batches + "\n" + out.out(), batches >= 10);
    assertEquals(source.expected(), many.rows());
    assertEquals(one.everything(), many.everything());
  }

  @Test
  public void historyAppliedInConsecutiveRunsEndsEqual() throws Exception {
    SourceSimulator source = new SourceSimulator(3, 0);
    Replication r = new Replication(tmp.getRoot().toPath());
    for (int run = 0; run < 3; run++) {
      int from = source.lines().size();
      source.run(400);
      List<String> slice = source.lines().subList(from, source.lines().size());
      r.run("--changes=" + r.write(Replication.shuffledWithDuplicates(slice, source.random(), 0.1), 2) + "/*.jsonl").ok();
      assertEquals("after run " + run, source.expected(), r.rows());
    }
  }

  @Test
  public void replayedOldInputChangesNothingAndDeletedRowsStayDeleted() throws Exception {
    SourceSimulator source = new SourceSimulator(4, 0).run(800);
    Replication r = new Replication(tmp.getRoot().toPath());
    List<String> old = new ArrayList<>(source.lines());
    source.run(800);
    r.run("--changes=" + r.write(source.lines(), 1) + "/*.jsonl").ok();
    List<String> before = r.everything();
    // The first half again, shuffled, as an at-least-once export redelivers it.
    Replication.Outcome replay = r.run("--changes=" + r.write(
        Replication.shuffledWithDuplicates(old, source.random(), 0.2), 2) + "/*.jsonl").ok();
    assertEquals(before, r.everything());
    assertEquals(source.expected(), r.rows());
    assertTrue(replay.out(), replay.count("ignored") > 0);
    assertEquals(0, replay.count("inserted") + replay.count("updated") + replay.count("deleted"));
  }

  @Test
  public void runningTheSameInputTwiceChangesNothing() throws Exception {
    SourceSimulator source = new SourceSimulator(5, 0).run(1000);
    Replication r = new Replication(tmp.getRoot().toPath());
    Path in = r.write(source.lines(), 2);
    Replication.Outcome first = r.run("--changes=" + in + "/*.jsonl", "--batchMaxBytes=32KB").ok();
    List<String> after = r.everything();
    Replication.Outcome second = r.run("--changes=" + in + "/*.jsonl", "--batchMaxBytes=32KB").ok();
    assertEquals(after, r.everything());
    assertEquals(0, second.count("merged"));
    assertTrue(second.out(), second.out().contains("(" + first.count("merged") + " already applied by an earlier run, skipped)"));
  }

  @Test
  public void embeddedFlinkGivesTheSameTableAsTheDirectRunner() throws Exception {
    SourceSimulator source = new SourceSimulator(8, 0).run(800);
    List<String> lines = Replication.shuffledWithDuplicates(source.lines(), source.random(), 0.2);
    Replication direct = new Replication(tmp.newFolder("direct").toPath());
    direct.run("--changes=" + direct.write(lines, 2) + "/*.jsonl", "--batchMaxBytes=32KB").ok();
    Replication flink = new Replication(tmp.newFolder("flink").toPath());
    Replication.Outcome out = flink.run("--changes=" + flink.write(lines, 2) + "/*.jsonl", "--batchMaxBytes=32KB",
        "--runner=FlinkRunner", "--parallelism=2").ok();
    assertTrue(out.out(), out.count("merged") > 1);
    assertEquals(source.expected(), flink.rows());
    assertEquals(direct.everything(), flink.everything());
  }

  @Test
  public void softDeletesKeepDeletedRowsMarked() throws Exception {
    SourceSimulator source = new SourceSimulator(6, 0).run(1000);
    Replication r = new Replication(tmp.getRoot().toPath());
    r.run("--changes=" + r.write(Replication.shuffledWithDuplicates(source.lines(), source.random(), 0.2), 2)
        + "/*.jsonl", "--deletes=soft").ok();
    assertEquals(source.expected(), r.rows());
    List<String> deleted = r.query("SELECT COUNT(*) FROM t WHERE _is_deleted");
    assertNotEquals(List.of("0"), deleted);
  }

  @Test
  public void badLinesGoToDeadLettersAndTheRunStillSucceeds() throws Exception {
    SourceSimulator source = new SourceSimulator(7, 0).run(300);
    List<String> lines = new ArrayList<>(source.lines());
    lines.add("{\"id\":1,\"region\":\"x\",\"_op\":\"INSERT\"}");
    lines.add("{\"id\":\"one\",\"region\":\"x\",\"_op\":\"INSERT\",\"_sequence_num\":1}");
    lines.add("{truncated");
    lines.add("{\"id\":1,\"region\":\"x\",\"_op\":\"MERGE\",\"_sequence_num\":1}");
    Replication r = new Replication(tmp.getRoot().toPath());
    Replication.Outcome out = r.run("--changes=" + r.write(lines, 1) + "/*.jsonl",
        "--deadLetter=" + tmp.getRoot() + "/dead").ok();
    assertEquals(source.expected(), r.rows());
    assertEquals(4, out.count("rejected"));
    assertTrue(out.out(), out.out().contains(tmp.getRoot() + "/dead/rejected-"));
    List<String> dead;
    try (var files = Files.list(tmp.getRoot().toPath().resolve("dead"))) {
      dead = Files.readAllLines(files.findFirst().orElseThrow());
    }
    assertEquals(4, dead.size());
    assertTrue(dead.get(0), dead.get(0).contains("\"reason\":\"missing _sequence_num\""));
    assertTrue(dead.get(1), dead.get(1).contains("not a valid INT64"));
    assertTrue(dead.get(2), dead.get(2).contains("malformed JSON"));
    assertTrue(dead.get(3), dead.get(3).contains("unknown _op 'MERGE'"));
  }
}
