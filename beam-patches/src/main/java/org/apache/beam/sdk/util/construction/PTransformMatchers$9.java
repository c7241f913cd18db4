package org.apache.beam.sdk.util.construction;

import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformMatcher;

/**
 * Stands in for Beam 2.70.0's {@code PTransformMatchers.stateOrTimerParDo()} matcher, which
 * translated every ParDo of the pipeline to its proto form to count its state and timer specs, each
 * time a runner's overrides were matched and checked. A Java ParDo's answer is read from its DoFn's
 * signature instead ({@link ParDoMatchedBySignature}); any other transform with the ParDo URN is
 * translated as before.
 */
class PTransformMatchers$9 implements PTransformMatcher {
  @Override
  public boolean matches(AppliedPTransform<?, ?, ?> application) {
    return ParDoMatchedBySignature.usesStateOrTimers(application);
  }

  @Override
  public String toString() {
    return "StateOrTimerParDoMatcher{}";
  }
}
