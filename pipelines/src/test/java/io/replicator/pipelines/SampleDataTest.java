package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The committed sample is what the generator writes, and it replicates as the README says. */
public class SampleDataTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final Path COMMITTED = Path.of("..", "samples", "spind_dly");

  @Test
  public void committedSampleIsTheGeneratorsOutput() throws Exception {
    Path out = tmp.getRoot().toPath();
    new SampleData().write(out);
    for (String file : List.of("schema.json", "snapshot.jsonl", "changes.jsonl")) {
      assertEquals(file + " differs: run generate-sample --out=samples/spind_dly",
          Files.readString(COMMITTED.resolve(file)), Files.readString(out.resolve(file)));
    }
  }

  @Test
  public void sampleReplicatesWithItsDeadLettersAndAgainAsANoOp() throws Exception {
    Path dir = tmp.getRoot().toPath();
    String[] args = {"replicate", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=" + COMMITTED.resolve("schema.json"), "--snapshot=" + COMMITTED.resolve("snapshot.jsonl"),
        "--snapshotSequence=1000", "--changes=" + COMMITTED.resolve("changes.jsonl"),
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb")};
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    assertEquals(0, Main.run(args, new java.io.PrintStream(out, true), System.err));
    String summary = out.toString();
    assertTrue(summary, summary.contains("rejected    2 dead letters in"));
    assertTrue(summary, summary.contains("inserted    1,182 rows"));
    // Where the time went, stage by stage, and the collector's pauses (the DirectRunner runs in this JVM).
    assertTrue(summary, summary.matches("(?s).*\\n  time +CPU per row read: decode [\\d.]+ µs, reduce [\\d.]+ µs,"
        + " stage [\\d.]+ µs; [\\d.]+ s loading staged files and [\\d.]+ s merging them;"
        + " [\\d.]+ s paused for garbage collection\\n.*"));
    out.reset();
    assertEquals(0, Main.run(args, new java.io.PrintStream(out, true), System.err));
    assertTrue(out.toString(), out.toString().contains("already applied by an earlier run"));
  }
}
