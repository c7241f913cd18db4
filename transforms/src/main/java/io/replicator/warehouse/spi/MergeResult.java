package io.replicator.warehouse.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * What merging one batch did.
 *
 * @param alreadyApplied the batch had been applied by an earlier run and was skipped
 * @param ignored changes older than what the target holds for their key (replays), not applied
 * @param bytesProcessed bytes the warehouse read to merge it (BigQuery's billed measure; 0 elsewhere)
 * @param slotMillis compute the merge took (BigQuery slot-milliseconds; 0 elsewhere)
 */
public record MergeResult(
    String table, String batchId, boolean alreadyApplied, long rows, long inserted, long updated,
    long deleted, long ignored, long bytesProcessed, long slotMillis) {

  public static MergeResult skipped(String table, String batchId, long rows) {
    return new MergeResult(table, batchId, true, rows, 0, 0, 0, 0, 0, 0);
  }

  /** Coder: strings and var-longs. */
  public static final class Coder extends CustomCoder<MergeResult> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(MergeResult r, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(r.table(), out);
      StringUtf8Coder.of().encode(r.batchId(), out);
      out.write(r.alreadyApplied() ? 1 : 0);
      for (long v : new long[] {
          r.rows(), r.inserted(), r.updated(), r.deleted(), r.ignored(), r.bytesProcessed(), r.slotMillis()}) {
        VarLongCoder.of().encode(v, out);
      }
    }

    @Override
    public MergeResult decode(InputStream in) throws IOException {
      String table = StringUtf8Coder.of().decode(in);
      String id = StringUtf8Coder.of().decode(in);
      boolean applied = in.read() == 1;
      long[] v = new long[7];
      for (int i = 0; i < v.length; i++) {
        v[i] = VarLongCoder.of().decode(in);
      }
      return new MergeResult(table, id, applied, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    @Override
    public void verifyDeterministic() {}

    /** One instance per JVM, so a deserialised coder equals the original. */
    private Object readResolve() {
      return INSTANCE;
    }
  }
}
