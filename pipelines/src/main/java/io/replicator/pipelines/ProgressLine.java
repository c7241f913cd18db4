package io.replicator.pipelines;

import io.replicator.batch.StageBatches;
import io.replicator.common.ByteSize;
import io.replicator.s3.SyncCounters;
import io.replicator.source.ReadChanges;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.source.postgres.ReadSlotChanges;
import io.replicator.warehouse.MergeBatches;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;
import org.joda.time.Duration;

/**
 * What a batch run prints on standard error every few seconds while it works: for a replicate, rows
 * read (against the input files' size or the database's estimate), the rate since the last line,
 * batches staged and merged, and how long the reading has left where that can be known; for an
 * s3-sync, objects listed, copied and failed. Built from the run's own
 * counters, so it shows on every runner whose result reports them while running (the DirectRunner,
 * Dataflow); an attached Flink run reports them only at its end.
 */
final class ProgressLine {
  static final Duration EVERY = Duration.standardSeconds(5);

  /** The line for a run's counters: a replicate's by default, another pipeline's when given. */
  interface Renderer {
    String render(ProgressLine line, RunSummary now, long nowMillis);
  }

  private final String name;
  private final Renderer renderer;
  /** Bytes of the input files, when every one is read as it lies (uncompressed); else 0. */
  private final long inputBytes;
  /** The database's estimate of the table's rows, or 0. */
  private final long estimatedRows;
  private final long startMillis;
  /** What the last line counted (rows read, bytes copied), for the rate since. */
  private long lastCount;
  private long lastMillis;
  /** When the first rows were seen read: the time left is reckoned from there, not from the launch. */
  private long readingSinceMillis;

  ProgressLine(String name, long inputBytes, long estimatedRows, long startMillis) {
    this(name, inputBytes, estimatedRows, startMillis, ProgressLine::replicate);
  }

  private ProgressLine(String name, long inputBytes, long estimatedRows, long startMillis, Renderer renderer) {
    this.name = name;
    this.renderer = renderer;
    this.inputBytes = inputBytes;
    this.estimatedRows = estimatedRows;
    this.startMillis = startMillis;
    this.lastMillis = startMillis;
  }

  /** The progress of {@code run}: its input files' size, or its database table's estimated rows. */
  static ProgressLine of(ReplicatePipeline.Launched run, long startMillis) {
    ReplicatePlan.InputSize size = run.plan().inputSize();
    long estimatedRows = run.jdbc() == null ? 0 : Math.max(0, run.jdbc().estimatedRows);
    return new ProgressLine("replicate " + run.table(), size.uncompressed() ? size.bytes() : 0, estimatedRows,
        startMillis);
  }

  /** Waits for {@code result} to finish, printing a line to {@code err} every {@code every} until then. */
  PipelineResult.State await(PipelineResult result, PrintStream err, Duration every) {
    while (true) {
      PipelineResult.State state = result.waitUntilFinish(every);
      if (state != null && state.isTerminal()) {
        return state;
      }
      long now = System.currentTimeMillis();
      err.println(render(RunSummary.of(result, now - startMillis), now));
    }
  }

  /**
   * The progress of an {@code s3-sync}: objects listed on the source side, copied (with their bytes
   * and the rate since the last line), left of those planned so far (with their bytes), failed.
   */
  static ProgressLine ofSync(String name, long startMillis) {
    return new ProgressLine(name, 0, 0, startMillis, ProgressLine::sync);
  }

  /** The line for the counters of {@code now}, taken at {@code nowMillis}. */
  String render(RunSummary now, long nowMillis) {
    return renderer.render(this, now, nowMillis);
  }

  private String sync(RunSummary now, long nowMillis) {
    long bytes = now.get(SyncCounters.BYTES_COPIED);
    long rate = rateSinceLastLine(bytes, nowMillis);
    // The copy step's own counters, which move with its bytes: the report's per-action counters
    // come a step later (a line once said "0 copied (190.7 MB)").
    long copied = now.get(SyncCounters.OBJECTS_COPIED);
    long failed = now.get(SyncCounters.OBJECTS_FAILED);
    return String.format(Locale.ROOT, "%s: %,d source objects listed, %,d copied (%s, %s/s), %,d left (%s), %,d failed",
        name, now.get(SyncCounters.objectsListed("source")), copied, ByteSize.format(bytes),
        ByteSize.format(rate), Math.max(0, now.get(SyncCounters.OBJECTS_TO_COPY) - copied - failed),
        ByteSize.format(Math.max(0, now.get(SyncCounters.BYTES_TO_COPY) - bytes)), failed);
  }

  private String replicate(RunSummary now, long nowMillis) {
    long rows = now.get(ReadChanges.LINES_READ) + now.get(ReadJdbcSnapshot.ROWS_READ)
        + now.get(ReadSlotChanges.ROW_CHANGES_READ);
    if (readingSinceMillis == 0 && rows > 0) {
      readingSinceMillis = lastMillis;
    }
    long rate = rateSinceLastLine(rows, nowMillis);
    double done = -1;
    String share = "";
    long bytes = now.get(ReadChanges.BYTES_READ);
    if (inputBytes > 0) {
      done = Math.min(1, bytes / (double) inputBytes);
      share = String.format(Locale.ROOT, " (%s of %s, %.0f%%)", mb(bytes), mb(inputBytes), done * 100);
    } else if (estimatedRows > 0) {
      done = Math.min(1, rows / (double) estimatedRows);
      share = String.format(Locale.ROOT, " (of about %,d, %.0f%%)", estimatedRows, done * 100);
    }
    String batches = String.format(Locale.ROOT, "%,d batches staged, %,d merged", now.get(StageBatches.BATCHES_STAGED),
        now.get(MergeBatches.BATCHES_MERGED));
    // Files are read whole: once every byte is in, what is left is staging and merging.
    if (done >= 0.999 && inputBytes > 0) {
      return String.format(Locale.ROOT, "%s: all %,d rows read; %s", name, rows, batches);
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %,d rows read%s, %,d rows/s, %s", name,
        rows, share, rate, batches));
    if (done > 0 && done < 1) {
      long elapsed = nowMillis - readingSinceMillis;
      sb.append(String.format(Locale.ROOT, ", reading about %d s more", Math.round(elapsed * (1 - done) / done / 1000)));
    }
    return sb.toString();
  }

  /** What {@code count} grew by per second since the last line; {@code count} is then the last line's. */
  private long rateSinceLastLine(long count, long nowMillis) {
    double seconds = Math.max(1, nowMillis - lastMillis) / 1000.0;
    long rate = Math.round((count - lastCount) / seconds);
    lastCount = count;
    lastMillis = nowMillis;
    return rate;
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%,.0f MB", bytes / 1e6);
  }
}
