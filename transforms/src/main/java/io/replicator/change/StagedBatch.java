package io.replicator.change;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * A batch written to staging, ready to load and merge.
 *
 * @param table the target table
 * @param batchId deterministic: derived from the batch's content, so a re-run names it alike
 * @param file the staged JSONL file (a Beam filesystem path)
 * @param rows staged rows, one per key
 * @param bytes size of the staged file
 * @param sequenceWidth the most sequence parts any staged row has
 */
public record StagedBatch(
    String table, String batchId, String file, long rows, long bytes, int sequenceWidth) {

  /** Coder: strings and var-longs. */
  public static final class Coder extends CustomCoder<StagedBatch> {
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(StagedBatch b, OutputStream out) throws IOException {
      STRING.encode(b.table(), out);
      STRING.encode(b.batchId(), out);
      STRING.encode(b.file(), out);
      LONG.encode(b.rows(), out);
      LONG.encode(b.bytes(), out);
      LONG.encode((long) b.sequenceWidth(), out);
    }

    @Override
    public StagedBatch decode(InputStream in) throws IOException {
      return new StagedBatch(
          STRING.decode(in), STRING.decode(in), STRING.decode(in), LONG.decode(in), LONG.decode(in),
          (int) (long) LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    /** One instance per JVM, so a deserialised coder equals the original. */
    private Object readResolve() {
      return INSTANCE;
    }
  }
}
