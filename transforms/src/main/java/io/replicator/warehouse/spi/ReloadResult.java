package io.replicator.warehouse.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * What applying a reload did.
 *
 * @param merged its batches' changes, applied together (batch id {@code "reload"})
 * @param batches how many batches were applied (or, when already applied, found so)
 * @param removed live rows the snapshot no longer has, removed
 * @param kept live rows the snapshot lacks that stayed because a rejected line names their key
 */
public record ReloadResult(MergeResult merged, long batches, long removed, long kept) {

  /** Coder: the merge result and var-longs. */
  public static final class Coder extends CustomCoder<ReloadResult> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(ReloadResult r, OutputStream out) throws IOException {
      MergeResult.Coder.of().encode(r.merged(), out);
      VarLongCoder.of().encode(r.batches(), out);
      VarLongCoder.of().encode(r.removed(), out);
      VarLongCoder.of().encode(r.kept(), out);
    }

    @Override
    public ReloadResult decode(InputStream in) throws IOException {
      return new ReloadResult(MergeResult.Coder.of().decode(in), VarLongCoder.of().decode(in),
          VarLongCoder.of().decode(in), VarLongCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    /** One instance per JVM, so a deserialised coder equals the original. */
    private Object readResolve() {
      return INSTANCE;
    }
  }
}
