package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * {@link LatestPerKey} as a CombineFn, so runners keep only the latest change per key before the
 * shuffle (combiner lifting) instead of moving every change of a batch to one worker.
 *
 * <pre>{@code
 * PCollection<KV<String, LatestPerKey>> batches = changesByBatch.apply(Combine.perKey(new LatestPerKeyFn()));
 * }</pre>
 */
public final class LatestPerKeyFn extends ReducingFn<Change> {
  @Override
  public LatestPerKey addInput(LatestPerKey acc, Change change) {
    acc.add(change);
    return acc;
  }

  /**
   * Merges accumulators built elsewhere (by a reader that reduced its own input), for inputs that
   * arrive already reduced.
   */
  public static final class Merging extends ReducingFn<LatestPerKey> {
    @Override
    public LatestPerKey addInput(LatestPerKey acc, LatestPerKey input) {
      acc.addAll(input);
      return acc;
    }
  }

  /** What an accumulator retains (adding it again rebuilds it) and how many changes it was chosen from. */
  public static final class AccumulatorCoder extends CustomCoder<LatestPerKey> {
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();

    public static AccumulatorCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(LatestPerKey value, OutputStream out) throws IOException {
      List<Change> retained = value.winners();
      VarLongCoder.of().encode(value.added(), out);
      VarLongCoder.of().encode((long) retained.size(), out);
      for (Change c : retained) {
        ChangeCoder.of().encode(c, out);
      }
    }

    @Override
    public LatestPerKey decode(InputStream in) throws IOException {
      long added = VarLongCoder.of().decode(in);
      long size = VarLongCoder.of().decode(in);
      LatestPerKey acc = new LatestPerKey();
      for (long i = 0; i < size; i++) {
        acc.add(ChangeCoder.of().decode(in));
      }
      acc.setAdded(added);
      return acc;
    }

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
