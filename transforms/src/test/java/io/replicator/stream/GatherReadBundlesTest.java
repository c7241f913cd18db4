package io.replicator.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * A reader's one-event bundles leave the gathering as one bundle per source and interval: every
 * event once, with its own timestamp, in the global window, a late one included.
 */
public class GatherReadBundlesTest {
  private static final AtomicInteger BUNDLES = new AtomicInteger();
  private static final AtomicInteger EVENTS = new AtomicInteger();

  @Rule public final transient TestPipeline p = TestPipeline.fromOptions(streaming());

  private static StreamingOptions streaming() {
    StreamingOptions o = PipelineOptionsFactory.as(StreamingOptions.class);
    o.setStreaming(true);
    return o;
  }

  /** Counts the bundles and events a step after the gathering meets. */
  private static final class CountBundlesFn extends DoFn<SourceEvent, SourceEvent> {
    @StartBundle
    public void start() {
      BUNDLES.incrementAndGet();
    }

    @ProcessElement
    public void process(@Element SourceEvent e, OutputReceiver<SourceEvent> out) {
      EVENTS.incrementAndGet();
      out.output(e);
    }
  }

  @Test
  public void eachSourcesIntervalBecomesOneBundleAndEveryEventKeepsItsTime() {
    Instant t0 = new Instant(0);
    TestStream.Builder<SourceEvent> read = TestStream.create(SourceEvent.coder()).advanceWatermarkTo(t0);
    List<TimestampedValue<SourceEvent>> expected = new ArrayList<>();
    // Four intervals of a second, two sources, one event per read bundle (as a reader's ten would be).
    for (int second = 0; second < 4; second++) {
      for (int i = 0; i < 25; i++) {
        String source = i % 2 == 0 ? "kafka:t/0" : "kafka:t/1";
        Instant at = t0.plus(Duration.millis(second * 1000L + i * 30));
        TimestampedValue<SourceEvent> e = TimestampedValue.of(new SourceEvent(source, second * 100L + i,
            "{\"id\":" + i + "}"), at);
        read = read.addElements(e);
        expected.add(e);
      }
      read = read.advanceWatermarkTo(t0.plus(Duration.standardSeconds(second + 1)));
    }
    // Late for its interval (the watermark has passed it), within the stream's allowed lateness:
    // kept, at its group's time.
    SourceEvent late = new SourceEvent("kafka:t/0", 999, "{\"id\":999}");
    read = read.addElements(TimestampedValue.of(late, t0.plus(Duration.millis(500))));

    PCollection<SourceEvent> gathered = p.apply(read.advanceWatermarkToInfinity())
        .apply(GatherReadBundles.every(Duration.standardSeconds(1)))
        .apply("Count bundles", ParDo.of(new CountBundlesFn()));
    PCollection<TimestampedValue<SourceEvent>> timed = gathered
        .apply("On time", org.apache.beam.sdk.transforms.Filter.by((SourceEvent e) -> e.position() != 999))
        .apply(Reify.timestamps());
    PAssert.that(timed).inWindow(GlobalWindow.INSTANCE).containsInAnyOrder(expected);
    // The read's own windowing again (the global window, which never closes, keeps the lateness):
    // later steps window, trigger and time their groups as they would without it.
    WindowingStrategy<?, ?> before = p.apply("Ungathered", Create.empty(SourceEvent.coder())).getWindowingStrategy();
    WindowingStrategy<?, ?> after = gathered.getWindowingStrategy();
    assertEquals(List.of(before.getWindowFn(), before.getTrigger(), before.getMode(), before.getTimestampCombiner()),
        List.of(after.getWindowFn(), after.getTrigger(), after.getMode(), after.getTimestampCombiner()));
    PAssert.that(gathered.apply("Late", org.apache.beam.sdk.transforms.Filter.by((SourceEvent e) -> e.position() == 999))
        .apply("Late's time", Reify.timestamps()))
        .satisfies(events -> {
          List<TimestampedValue<SourceEvent>> all = new ArrayList<>();
          events.forEach(all::add);
          assertTrue("the late event, once: " + all, all.size() == 1 && "{\"id\":999}".equals(all.get(0).getValue().payload()));
          assertTrue("not before its own time", all.get(0).getTimestamp().getMillis() >= 500);
          return null;
        });
    BUNDLES.set(0);
    EVENTS.set(0);
    p.run().waitUntilFinish();

    // 101 events read in 101 bundles leave in one bundle per source and interval (8), plus the late one's.
    assertEquals(101, EVENTS.get());
    assertTrue("bundles after gathering: " + BUNDLES.get(), BUNDLES.get() <= 9);
  }
}
