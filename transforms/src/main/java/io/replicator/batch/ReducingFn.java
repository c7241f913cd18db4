package io.replicator.batch;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * What both latest-per-key combines share: a {@link LatestPerKey} accumulator, merged by adding
 * the others' winners, that is also the output. Subclasses say how one input is added.
 */
abstract class ReducingFn<InputT> extends Combine.CombineFn<InputT, LatestPerKey, LatestPerKey> {
  @Override
  public LatestPerKey createAccumulator() {
    return new LatestPerKey();
  }

  @Override
  public LatestPerKey mergeAccumulators(Iterable<LatestPerKey> accumulators) {
    LatestPerKey merged = null;
    for (LatestPerKey acc : accumulators) {
      if (merged == null) {
        merged = acc;
      } else {
        merged.addAll(acc);
      }
    }
    return merged == null ? new LatestPerKey() : merged;
  }

  @Override
  public LatestPerKey extractOutput(LatestPerKey acc) {
    return acc;
  }

  @Override
  public Coder<LatestPerKey> getAccumulatorCoder(CoderRegistry registry, Coder<InputT> input) {
    return LatestPerKeyFn.AccumulatorCoder.INSTANCE;
  }

  @Override
  public Coder<LatestPerKey> getDefaultOutputCoder(CoderRegistry registry, Coder<InputT> input) {
    return LatestPerKeyFn.AccumulatorCoder.INSTANCE;
  }
}
