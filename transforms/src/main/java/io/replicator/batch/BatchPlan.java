package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.StagedLine;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.values.KV;

/**
 * How many batches the input is cut into: enough that each holds about {@value #FILL_PERCENT}% of
 * {@code --batchMaxBytes} and of {@code --batchMaxRows}, leaving room for an uneven hash, and, for
 * inputs of more than {@value #ROWS_PER_PARALLEL_BATCH} rows, at least a few, so that workers stage
 * batches side by side instead of one worker staging everything. A batch that still comes out
 * larger is cut again when it is staged.
 */
public final class BatchPlan {
  static final int FILL_PERCENT = 70;
  /** More batches than this would mean more MERGE jobs than a warehouse takes gladly in one run. */
  static final int MAX_BATCHES = 100_000;
  /** Rows below which one batch is cheaper than several (each batch is a MERGE). */
  static final long ROWS_PER_PARALLEL_BATCH = 50_000;
  /** Batches a mid-sized input is cut into at least: enough to keep a few cores busy. */
  static final int MIN_PARALLEL_BATCHES = 4;

  private BatchPlan() {}

  public static int batchCount(long bytes, long rows, long maxBytes, long maxRows) {
    long byBytes = ceilDiv(bytes * 100, maxBytes * FILL_PERCENT);
    long byRows = ceilDiv(rows * 100, maxRows * FILL_PERCENT);
    long forParallelism = Math.min(MIN_PARALLEL_BATCHES, rows / ROWS_PER_PARALLEL_BATCH);
    return (int) Math.max(1, Math.min(MAX_BATCHES, Math.max(forParallelism, Math.max(byBytes, byRows))));
  }

  /**
   * The batch count for input files of {@code bytes} in all, before reading them: staged lines are
   * about as long as input lines, and rows are counted as if a line took 100 bytes (more rows than
   * that only means more, smaller batches; a batch that comes out too large is cut again when
   * staged). Runs over the same files cut them alike, which is what lets a re-run skip the
   * batches an earlier run applied.
   */
  public static int forInputBytes(long bytes, long maxBytes, long maxRows) {
    return batchCount(bytes, bytes / 100, maxBytes, maxRows);
  }

  private static long ceilDiv(long a, long b) {
    return b <= 0 ? 1 : (a + b - 1) / b;
  }

  /** Sums staged bytes and rows of all changes: {@code KV(bytes, rows)}. */
  static final class SizeFn extends Combine.CombineFn<Change, long[], KV<Long, Long>> {
    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] addInput(long[] acc, Change c) {
      acc[0] += StagedLine.utf8Size(c);
      acc[1]++;
      return acc;
    }

    @Override
    public long[] mergeAccumulators(Iterable<long[]> accs) {
      long[] out = new long[2];
      for (long[] a : accs) {
        out[0] += a[0];
        out[1] += a[1];
      }
      return out;
    }

    @Override
    public KV<Long, Long> extractOutput(long[] acc) {
      return KV.of(acc[0], acc[1]);
    }

    @Override
    public Coder<long[]> getAccumulatorCoder(CoderRegistry registry, Coder<Change> input) {
      return new LongPairCoder();
    }

    @Override
    public Coder<KV<Long, Long>> getDefaultOutputCoder(CoderRegistry registry, Coder<Change> input) {
      return KvCoder.of(VarLongCoder.of(), VarLongCoder.of());
    }
  }

  static final class LongPairCoder extends org.apache.beam.sdk.coders.CustomCoder<long[]> {
    @Override
    public void encode(long[] value, java.io.OutputStream out) throws java.io.IOException {
      VarLongCoder.of().encode(value[0], out);
      VarLongCoder.of().encode(value[1], out);
    }

    @Override
    public long[] decode(java.io.InputStream in) throws java.io.IOException {
      return new long[] {VarLongCoder.of().decode(in), VarLongCoder.of().decode(in)};
    }
  }
}
