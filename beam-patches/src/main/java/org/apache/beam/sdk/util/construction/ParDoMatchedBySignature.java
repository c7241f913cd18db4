package org.apache.beam.sdk.util.construction;

import java.io.IOException;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;

/**
 * What {@link ParDoTranslation#isSplittable} and {@link ParDoTranslation#usesStateOrTimers} answer,
 * read for a Java {@link ParDo.MultiOutput} from its DoFn's signature, which is what Beam 2.70.0's
 * translation builds the payload they read from: a restriction coder when the process method is
 * splittable; a state spec per state declaration, a timer family spec per timer, timer family and
 * window expiration method. Anything else with the ParDo URN (a runner's own), and a DoFn whose
 * only timer is its window expiration method (which this release fails to translate), is
 * translated as before.
 */
final class ParDoMatchedBySignature {
  private ParDoMatchedBySignature() {}

  static boolean isSplittable(AppliedPTransform<?, ?, ?> application) {
    if (application.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo) {
      return signature(parDo).processElement().isSplittable();
    }
    return isParDo(application) && translated(application, true);
  }

  static boolean usesStateOrTimers(AppliedPTransform<?, ?, ?> application) {
    if (application.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo) {
      DoFnSignature s = signature(parDo);
      if (s.usesState() || s.usesTimers()) {
        return true;
      } else if (s.onWindowExpiration() == null) {
        return false;
      }
      // A window expiration method alone: answered (or refused) by the translation, as before.
    }
    return isParDo(application) && translated(application, false);
  }

  private static DoFnSignature signature(ParDo.MultiOutput<?, ?> parDo) {
    return DoFnSignatures.getSignature(parDo.getFn().getClass());
  }

  private static boolean isParDo(AppliedPTransform<?, ?, ?> application) {
    return PTransformTranslation.PAR_DO_TRANSFORM_URN.equals(
        PTransformTranslation.urnForTransformOrNull(application.getTransform()));
  }

  private static boolean translated(AppliedPTransform<?, ?, ?> application, boolean splittable) {
    try {
      return splittable ? ParDoTranslation.isSplittable(application) : ParDoTranslation.usesStateOrTimers(application);
    } catch (IOException e) {
      throw new RuntimeException(String.format("Transform with URN %s could not be translated",
          PTransformTranslation.PAR_DO_TRANSFORM_URN), e);
    }
  }
}
