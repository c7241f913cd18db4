package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.batch.StageBatches;
import io.replicator.common.Counters;
import io.replicator.source.ReadChanges;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.warehouse.MergeBatches;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.joda.time.Duration;
import org.junit.Test;

public class ProgressLineTest {
  @Test
  public void saysHowMuchOfTheFilesIsReadAndHowLongReadingHasLeft() {
    ProgressLine line = new ProgressLine("replicate t", 100_000_000, 0, 0);
    assertEquals("replicate t: 0 rows read (0 MB of 100 MB, 0%), 0 rows/s, 0 batches staged, 0 merged",
        line.render(RunSummary.ofCounters(Map.of(), 5_000), 5_000));
    // Reading started after the first line: a quarter in 5 s leaves about 15 s.
    assertEquals("replicate t: 200,000 rows read (25 MB of 100 MB, 25%), 40,000 rows/s, 3 batches staged, 0 merged,"
        + " reading about 15 s more", line.render(RunSummary.ofCounters(Map.of(ReadChanges.LINES_READ, 200_000L,
        ReadChanges.BYTES_READ, 25_000_000L, StageBatches.BATCHES_STAGED, 3L), 10_000), 10_000));
    assertEquals("replicate t: all 800,000 rows read; 8 batches staged, 2 merged", line.render(RunSummary.ofCounters(Map.of(ReadChanges.LINES_READ, 800_000L,
        ReadChanges.BYTES_READ, 100_000_000L, StageBatches.BATCHES_STAGED, 8L, MergeBatches.BATCHES_MERGED, 2L), 20_000),
        20_000));
  }

  @Test
  public void aDatabaseReloadIsMeasuredAgainstTheEstimatedRows() {
    ProgressLine line = new ProgressLine("replicate t", 0, 1_000_000, 0);
    assertEquals("replicate t: 500,000 rows read (of about 1,000,000, 50%), 100,000 rows/s, 0 batches staged,"
        + " 0 merged, reading about 5 s more",
        line.render(RunSummary.ofCounters(Map.of(ReadJdbcSnapshot.ROWS_READ, 500_000L), 5_000), 5_000));
  }

  @Test
  public void inputOfUnknownSizeGetsNoShareNorTimeLeft() {
    ProgressLine line = new ProgressLine("replicate t", 0, 0, 0);
    assertEquals("replicate t: 1,000 rows read, 500 rows/s, 1 batches staged, 0 merged",
        line.render(RunSummary.ofCounters(Map.of(ReadChanges.LINES_READ, 1_000L, StageBatches.BATCHES_STAGED, 1L),
            2_000), 2_000));
  }

  /** Counted as the copy step counts them: the report's per-action counters come a step behind. */
  @Test
  public void aSyncSaysWhatItListedCopiedLeftAndFailed() {
    ProgressLine line = ProgressLine.ofSync("s3-sync s3://a/ -> s3://b/", 0);
    assertEquals("s3-sync s3://a/ -> s3://b/: 10,000 source objects listed, 2,500 copied (50.0 MB, 10.0 MB/s),"
        + " 7,499 left (150.0 MB), 1 failed",
        line.render(RunSummary.ofCounters(Map.ofEntries(Map.entry("source_objects_listed", 10_000L),
            Map.entry(io.replicator.s3.SyncCounters.action("copied"), 0L), Map.entry("bytes_copied", 50L << 20),
            Map.entry("objects_copied", 2_500L), Map.entry("objects_failed", 1L), Map.entry("objects_to_copy", 10_000L),
            Map.entry("bytes_to_copy", 200L << 20), Map.entry(io.replicator.s3.SyncCounters.action("failed"), 0L)),
            5_000), 5_000));
  }

  /** A DirectRunner run reports its counters while it works: the lines come while it runs, not after. */
  @Test
  public void printsLinesWhileTheRunWorksAndReturnsItsEnd() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setBlockOnRun(false);
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8)).apply(ParDo.of(new SlowReadFn()));
    long start = System.currentTimeMillis();
    PipelineResult result = p.run();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PipelineResult.State state = new ProgressLine("replicate t", 0, 0, start)
        .await(result, new PrintStream(err, true, StandardCharsets.UTF_8), Duration.millis(200));
    assertEquals(PipelineResult.State.DONE, state);
    String printed = err.toString(StandardCharsets.UTF_8);
    assertTrue(printed, printed.lines().count() >= 3);
    assertTrue(printed, printed.lines().allMatch(l -> l.matches("replicate t: [\\d,]+ rows read, .* merged")));
    assertTrue(printed, printed.lines().anyMatch(l -> !l.startsWith("replicate t: 0 rows read")));
  }

  private static final class SlowReadFn extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer i) throws InterruptedException {
      Counters.counter(ReadChanges.LINES_READ).inc(1000);
      Thread.sleep(400);
    }
  }
}
