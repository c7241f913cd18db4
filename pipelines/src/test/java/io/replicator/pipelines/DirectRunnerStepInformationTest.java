package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.Test;

/**
 * The DirectRunner as the bundled jar runs it (Beam's ParDo evaluator factory with Replicator's
 * change): a step's schema information and side input mapping are worked out once, not by
 * translating the step, DoFn serialized, for every bundle, and side inputs still reach the DoFn.
 */
public class DirectRunnerStepInformationTest {
  private static final int BUNDLES = 40;
  private static final AtomicInteger SERIALIZED = new AtomicInteger();

  @Test
  public void theFactoryIsACopyOfTheBeamReleaseInUse() {
    assertEquals("org.apache.beam.runners.direct.ParDoEvaluatorFactory (pipelines/src/main/java) is Beam"
        + " 2.70.0's with one change: apply that change to the new release's copy, then update this version",
        "2.70.0", ReleaseInfo.getReleaseInfo().getVersion());
  }

  @Test
  public void aStepFedManyBundlesIsNotSerializedForEachOfThem() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setTargetParallelism(2);
    Pipeline p = Pipeline.create(options);
    // Each Create is a bundle of its own; Flatten hands them on as they are.
    List<PCollection<Integer>> parts = new ArrayList<>();
    for (int i = 0; i < BUNDLES; i++) {
      parts.add(p.apply("Bundle " + i, Create.of(i)));
    }
    PCollectionView<Integer> offset = p.apply("Offset", Create.of(1000)).apply(View.asSingleton());
    PCollection<Integer> shifted = PCollectionList.of(parts).apply(Flatten.pCollections())
        .apply(ParDo.of(new CountedFn(offset)).withSideInputs(offset));
    // Every element passed through, with the side input read in every bundle.
    PAssert.that(shifted.apply(Sum.integersGlobally())).containsInAnyOrder(BUNDLES * 1000 + BUNDLES * (BUNDLES - 1) / 2);
    SERIALIZED.set(0);
    p.run().waitUntilFinish();
    // Beam's own factory serialized the DoFn twice each time it set up a bundle, and a bundle held
    // back until the side input is ready is set up again: 721 times here. What is left is the
    // runner's clone of it per worker thread and the pipeline's checks before it runs.
    assertTrue("the DoFn was serialized " + SERIALIZED.get() + " times for " + BUNDLES + " bundles",
        SERIALIZED.get() < BUNDLES / 2);
  }

  private static final class CountedFn extends DoFn<Integer, Integer> {
    private final PCollectionView<Integer> offset;

    CountedFn(PCollectionView<Integer> offset) {
      this.offset = offset;
    }

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out, ProcessContext c) {
      out.output(i + c.sideInput(offset));
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      SERIALIZED.incrementAndGet();
      out.defaultWriteObject();
    }
  }
}
