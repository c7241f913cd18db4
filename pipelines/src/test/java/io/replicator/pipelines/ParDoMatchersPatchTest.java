package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformMatcher;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Test;

/**
 * The ParDo matchers of replicator-beam-patches are the ones Beam uses, and answer as Beam's own
 * did, through the ParDo's translation, for DoFns of every kind the translation tells apart.
 */
public class ParDoMatchersPatchTest {
  @Test
  public void theyStandInForTheBeamReleaseInUse() {
    assertEquals("beam-patches' PTransformMatchers$6 and $9 stand in for Beam 2.70.0's splittableParDo() and"
        + " stateOrTimerParDo(): check that the new release still builds them as these anonymous classes and that"
        + " its ParDo translation still decides restriction coders, state and timer specs from the DoFn's"
        + " signature, then update this version", "2.70.0", ReleaseInfo.getReleaseInfo().getVersion());
  }

  @Test
  public void beamBuildsThePatchedMatchers() {
    for (PTransformMatcher m : List.of(PTransformMatchers.splittableParDo(), PTransformMatchers.stateOrTimerParDo())) {
      String from = m.getClass().getProtectionDomain().getCodeSource().getLocation().toString();
      assertTrue(m + " from " + from, from.contains("beam-patches"));
    }
    assertEquals("SplittableParDoMatcher{}", PTransformMatchers.splittableParDo().toString());
    assertEquals("StateOrTimerParDoMatcher{}", PTransformMatchers.stateOrTimerParDo().toString());
  }

  @Test
  public void theyAnswerAsTheParDosTranslationDoes() throws Exception {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=" + DirectRunner.class.getSimpleName())
        .create());
    PCollection<KV<String, String>> keyed = p.apply(Create.of(KV.of("k", "v"))
        .withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
    keyed.apply("Plain", ParDo.of(new Plain())).setCoder(StringUtf8Coder.of());
    keyed.apply("State", ParDo.of(new WithState())).setCoder(StringUtf8Coder.of());
    keyed.apply("Timer", ParDo.of(new WithTimer())).setCoder(StringUtf8Coder.of());
    keyed.apply("Timer family", ParDo.of(new WithTimerFamily())).setCoder(StringUtf8Coder.of());
    keyed.apply("Window expiration", ParDo.of(new WithWindowExpiration())).setCoder(StringUtf8Coder.of());
    keyed.apply("Window expiration alone", ParDo.of(new WithWindowExpirationAlone())).setCoder(StringUtf8Coder.of());
    keyed.apply("Splittable", ParDo.of(new Splittable())).setCoder(StringUtf8Coder.of());
    List<String> answers = new ArrayList<>();
    p.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        AppliedPTransform<?, ?, ?> a = node.toAppliedPTransform(p);
        if (!(a.getTransform() instanceof ParDo.MultiOutput) || a.getFullName().startsWith("Create")) {
          return; // Create's steps: their coders are inferred when the pipeline runs.
        }
        String splittable = answer(() -> PTransformMatchers.splittableParDo().matches(a));
        String stateOrTimers = answer(() -> PTransformMatchers.stateOrTimerParDo().matches(a));
        String translated = answer(() -> ParDoTranslation.isSplittable(a));
        // Where this release cannot translate a DoFn, its signature still tells whether it is
        // splittable; the step is refused by the state matcher instead, as the runner checks both.
        if (!translated.equals("NullPointerException")) {
          assertEquals(a.getFullName(), translated, splittable);
        }
        assertEquals(a.getFullName(), answer(() -> ParDoTranslation.usesStateOrTimers(a)), stateOrTimers);
        answers.add(a.getFullName().replaceAll("/.*", "") + " " + splittable + " " + stateOrTimers);
      }
    });
    assertEquals(List.of("Plain false false", "State false true",
        "Timer false true", "Timer family false true", "Window expiration false true",
        // Beam 2.70 cannot translate a window expiration method without state: refused, as before.
        "Window expiration alone false NullPointerException", "Splittable true false"), answers);
  }

  private interface Answer {
    boolean get() throws Exception;
  }

  /** The answer, or the exception's simple name. */
  private static String answer(Answer a) {
    try {
      return String.valueOf(a.get());
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return cause.getClass().getSimpleName();
    }
  }

  private static final class Plain extends DoFn<KV<String, String>, String> {
    @ProcessElement
    public void process(@Element KV<String, String> e, OutputReceiver<String> out) {
      out.output(e.getValue());
    }
  }

  private static final class WithState extends DoFn<KV<String, String>, String> {
    @StateId("last")
    private final StateSpec<ValueState<String>> last = StateSpecs.value();

    @ProcessElement
    public void process(@Element KV<String, String> e, @StateId("last") ValueState<String> state) {
      state.write(e.getValue());
    }
  }

  private static final class WithTimer extends DoFn<KV<String, String>, String> {
    @TimerId("later")
    private final TimerSpec later = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(@Element KV<String, String> e, @TimerId("later") Timer timer) {}

    @OnTimer("later")
    public void later() {}
  }

  private static final class WithTimerFamily extends DoFn<KV<String, String>, String> {
    @TimerFamily("each")
    private final TimerSpec each = TimerSpecs.timerMap(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(@Element KV<String, String> e, @TimerFamily("each") TimerMap timers) {}

    @OnTimerFamily("each")
    public void fired() {}
  }

  private static final class WithWindowExpiration extends DoFn<KV<String, String>, String> {
    @StateId("last")
    private final StateSpec<ValueState<String>> last = StateSpecs.value();

    @ProcessElement
    public void process(@Element KV<String, String> e, @StateId("last") ValueState<String> state) {}

    @OnWindowExpiration
    public void expired() {}
  }

  private static final class WithWindowExpirationAlone extends DoFn<KV<String, String>, String> {
    @ProcessElement
    public void process(@Element KV<String, String> e) {}

    @OnWindowExpiration
    public void expired() {}
  }

  private static final class Splittable extends DoFn<KV<String, String>, String> {
    @ProcessElement
    public void process(@Element KV<String, String> e, RestrictionTracker<OffsetRange, Long> tracker) {}

    @GetInitialRestriction
    public OffsetRange initial(@Element KV<String, String> e) {
      return new OffsetRange(0, 1);
    }
  }
}
