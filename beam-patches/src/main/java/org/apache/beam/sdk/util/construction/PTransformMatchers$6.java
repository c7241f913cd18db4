package org.apache.beam.sdk.util.construction;

import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformMatcher;

/**
 * Stands in for Beam 2.70.0's {@code PTransformMatchers.splittableParDo()} matcher, which
 * translated every ParDo of the pipeline to its proto form (its DoFn serialized, its coders
 * registered) to read whether it has a restriction coder, each time a runner's overrides were
 * matched and checked: a fifth of the main thread of an empty local s3-sync. A Java ParDo's answer
 * is read from its DoFn's signature instead, as the translation itself decides it ({@link
 * ParDoMatchedBySignature}); any other transform with the ParDo URN is translated as before.
 */
class PTransformMatchers$6 implements PTransformMatcher {
  @Override
  public boolean matches(AppliedPTransform<?, ?, ?> application) {
    return ParDoMatchedBySignature.isSplittable(application);
  }

  @Override
  public String toString() {
    return "SplittableParDoMatcher{}";
  }
}
