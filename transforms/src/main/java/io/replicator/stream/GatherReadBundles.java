package io.replicator.stream;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Gathers what a stream's reader emits into one bundle per source and interval, for the
 * DirectRunner. It reads an unbounded source at most ten events per bundle and then sets every
 * later step up again for each bundle (it translates the step and serialises its function, twice
 * each): a Kafka backlog went through at under 200 events a second on two busy cores, most of the
 * time in that set-up. Gathered, the steps after this one meet a bundle per source and interval.
 * Each event keeps its timestamp (or its group's, if that is later: an event late for its
 * interval) and goes back to the global window; nothing is dropped before {@link
 * ReplicateStream#ALLOWED_LATENESS}, as the stream's own windows drop nothing before it. The
 * pipeline gathers only on the DirectRunner (embedded Flink read a backlog many times faster
 * without it).
 *
 * <pre>{@code
 * events = events.apply(GatherReadBundles.every(Duration.standardSeconds(1)));
 * }</pre>
 */
public final class GatherReadBundles extends PTransform<PCollection<SourceEvent>, PCollection<SourceEvent>> {
  private final Duration interval;

  private GatherReadBundles(Duration interval) {
    this.interval = interval;
  }

  /**
   * Gathers every {@code interval}; one that divides the stream's load interval keeps the groups
   * within its windows, so no event waits past its window's end for its group.
   */
  public static GatherReadBundles every(Duration interval) {
    if (interval.getMillis() <= 0) {
      throw new IllegalArgumentException("a gathering interval must be positive, got " + interval);
    }
    return new GatherReadBundles(interval);
  }

  /** One second where it divides {@code loadInterval}, else the load interval itself. */
  public static GatherReadBundles within(Duration loadInterval) {
    return every(loadInterval.getMillis() % 1000 == 0 ? Duration.standardSeconds(1) : loadInterval);
  }

  @Override
  public PCollection<SourceEvent> expand(PCollection<SourceEvent> events) {
    return events
        .apply("Into intervals", Window.<SourceEvent>into(FixedWindows.of(interval))
            .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
            .withAllowedLateness(ReplicateStream.ALLOWED_LATENESS)
            .withTimestampCombiner(TimestampCombiner.EARLIEST)
            .discardingFiredPanes())
        .apply("By source", ParDo.of(new BySourceFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), TimestampedValue.TimestampedValueCoder.of(SourceEvent.coder())))
        .apply("Gather", GroupByKey.create())
        .apply("Spread", ParDo.of(new SpreadFn()))
        .setCoder(SourceEvent.coder())
        // The read's own windowing again, so that the steps after this one group as they would without it.
        .apply("Back to the global window", Window.<SourceEvent>into(new GlobalWindows())
            .triggering(DefaultTrigger.of())
            .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW)
            .discardingFiredPanes());
  }

  private static final class BySourceFn extends DoFn<SourceEvent, KV<String, TimestampedValue<SourceEvent>>> {
    @ProcessElement
    public void process(@Element SourceEvent e, @Timestamp Instant at,
        OutputReceiver<KV<String, TimestampedValue<SourceEvent>>> out) {
      out.output(KV.of(e.source(), TimestampedValue.of(e, at)));
    }
  }

  private static final class SpreadFn extends DoFn<KV<String, Iterable<TimestampedValue<SourceEvent>>>, SourceEvent> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<TimestampedValue<SourceEvent>>> group, @Timestamp Instant at,
        OutputReceiver<SourceEvent> out) {
      for (TimestampedValue<SourceEvent> e : group.getValue()) {
        // A group's timestamp is its earliest event's; a late group's may be later than its events.
        out.outputWithTimestamp(e.getValue(), e.getTimestamp().isBefore(at) ? at : e.getTimestamp());
      }
    }
  }
}
