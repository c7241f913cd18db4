package io.replicator.stream;

import io.replicator.common.Counters;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers a window's {@link Progress} once all of it is done, commits the sources' positions, and
 * sets each table's lag. The window's progress is grouped after the merges in the graph, so it is
 * complete only when the watermark has passed every merge of the window (and of the windows
 * before it): a position is committed only after the changes it carries, and all before them, are
 * merged. An event held back to a later window ({@link Progress#hold}) keeps its source's commits
 * below it until it is released; the source's highest position read is committed then. Commits
 * run one at a time and never move a position back.
 *
 * <pre>{@code
 * PCollection<String> report = allProgress.apply(CommitProgress.with(kafkaOffsets));
 * }</pre>
 *
 * <p>Outputs one line per window saying what it merged and committed.
 */
public final class CommitProgress extends PTransform<PCollection<KV<String, Long>>, PCollection<String>> {
  private static final Logger LOG = LoggerFactory.getLogger(CommitProgress.class);
  public static final String WINDOWS_COMMITTED = "windows_committed";
  public static final String EVENTS_ACKNOWLEDGED = "events_acknowledged";
  /** Gauge per table: milliseconds from the source change to the end of its window's merge. */
  public static final String LAG_PREFIX = "lag_ms_";
  /** Counters per table: batches and rows merged. */
  public static final String BATCHES_PREFIX = "batches_merged_";
  public static final String ROWS_PREFIX = "rows_merged_";

  private final ProgressCommitter committer;
  private final boolean print;

  private CommitProgress(ProgressCommitter committer, boolean print) {
    this.committer = committer;
    this.print = print;
  }

  public static CommitProgress with(ProgressCommitter committer) {
    return new CommitProgress(committer, false);
  }

  /** Also prints each window's line on standard error, with the time it was done. */
  public CommitProgress printingWindows(boolean print) {
    return new CommitProgress(committer, print);
  }

  @Override
  public PCollection<String> expand(PCollection<KV<String, Long>> progress) {
    return progress
        .apply("Highest per key", Combine.perKey(Max.ofLongs()))
        .apply("One group per window", WithKeys.of(""))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
        .apply("Gather window", GroupByKey.create())
        .apply("In order", Window.into(new GlobalWindows()))
        .apply("Commit", ParDo.of(new CommitFn(committer, print)))
        .setCoder(StringUtf8Coder.of());
  }

  private static final class CommitFn extends DoFn<KV<String, Iterable<KV<String, Long>>>, String> {
    private final ProgressCommitter committer;
    private final boolean print;
    private final Counter windows = Counters.counter(WINDOWS_COMMITTED);
    private final Counter acknowledged = Counters.counter(EVENTS_ACKNOWLEDGED);

    @StateId("committed")
    private final StateSpec<ValueState<Map<String, Long>>> committedSpec =
        StateSpecs.value(MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

    /** Per source, the highest position read in a window done; and each held position's count of holds. */
    @StateId("read")
    private final StateSpec<ValueState<Map<String, Long>>> readSpec =
        StateSpecs.value(MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

    @StateId("held")
    private final StateSpec<ValueState<Map<String, Map<Long, Long>>>> heldSpec = StateSpecs.value(
        MapCoder.of(StringUtf8Coder.of(), MapCoder.of(VarLongCoder.of(), VarLongCoder.of())));

    CommitFn(ProgressCommitter committer, boolean print) {
      this.committer = committer;
      this.print = print;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<KV<String, Long>>> window,
        @StateId("committed") ValueState<Map<String, Long>> committedState,
        @StateId("read") ValueState<Map<String, Long>> readState,
        @StateId("held") ValueState<Map<String, Map<Long, Long>>> heldState, OutputReceiver<String> out)
        throws Exception {
      Map<String, Long> committed = copy(committedState.read());
      Map<String, Long> read = copy(readState.read());
      Map<String, Map<Long, Long>> held = new HashMap<>();
      if (heldState.read() != null) {
        heldState.read().forEach((source, positions) -> held.put(source, new TreeMap<>(positions)));
      }
      Map<String, Long> advance = new TreeMap<>();
      Map<String, long[]> merged = new TreeMap<>(); // table → rows, batches
      Map<String, Long> sourceTimes = new TreeMap<>();
      Map<String, List<String>> acks = new TreeMap<>();
      long deadLetterFiles = 0;
      for (KV<String, Long> p : window.getValue()) {
        String name = Progress.name(p.getKey());
        switch (Progress.kind(p.getKey())) {
          case Progress.POSITION -> read.merge(name, p.getValue(), Math::max);
          // Counted, so a release seen before its hold (panes of two windows) cancels it all the same.
          case Progress.HOLD -> countHold(held, name, p.getValue(), 1);
          case Progress.RELEASE -> countHold(held, name, p.getValue(), -1);
          case Progress.SOURCE_TIME -> sourceTimes.merge(name, p.getValue(), Math::max);
          case Progress.MERGED -> {
            long[] m = merged.computeIfAbsent(name, k -> new long[2]);
            m[0] += p.getValue();
            m[1]++;
          }
          case Progress.DEAD_LETTERS -> deadLetterFiles++;
          case Progress.ACK -> acks.computeIfAbsent(name, k -> new ArrayList<>()).add(Progress.ackId(p.getKey()));
          default -> throw new IllegalStateException("unknown progress " + p.getKey());
        }
      }
      if (committer.keepsPositions()) {
        read.forEach((source, position) -> {
          long upTo = position;
          Map<Long, Long> holds = held.get(source);
          if (holds != null) {
            for (Map.Entry<Long, Long> h : holds.entrySet()) {
              if (h.getValue() > 0) {
                upTo = Math.min(upTo, h.getKey() - 1);
                break;
              }
            }
          }
          Long before = committed.get(source);
          if (upTo >= 0 && (before == null || upTo > before)) {
            advance.put(source, upTo);
          }
        });
      }
      readState.write(read);
      heldState.write(held);
      if (!advance.isEmpty() || !acks.isEmpty()) {
        committer.commit(advance, acks);
        acks.values().forEach(ids -> acknowledged.inc(ids.size()));
      }
      if (!advance.isEmpty()) {
        committed.putAll(advance);
        committedState.write(committed);
      }
      long now = System.currentTimeMillis();
      StringJoiner line = new StringJoiner("; ", "window done: ", "");
      line.setEmptyValue("window done: nothing to merge");
      merged.forEach((table, m) -> {
        Counters.counter(BATCHES_PREFIX + table).inc(m[1]);
        Counters.counter(ROWS_PREFIX + table).inc(m[0]);
        String part = "merged " + table + ": " + m[0] + " rows in " + m[1] + (m[1] == 1 ? " batch" : " batches");
        Long at = sourceTimes.get(table);
        if (at != null) {
          long lag = Math.max(0, now - at);
          Counters.gauge(LAG_PREFIX + table).set(lag);
          part += String.format(Locale.ROOT, " (lag %.1f s)", lag / 1000.0);
        }
        line.add(part);
      });
      if (deadLetterFiles > 0) {
        line.add("dead letters in " + deadLetterFiles + (deadLetterFiles == 1 ? " file" : " files"));
      }
      if (committer.keepsPositions()) {
        line.add("committed " + (advance.isEmpty() ? "nothing new" : advance.toString()));
      }
      acks.forEach((source, ids) -> line.add("acknowledged " + ids.size() + " of " + source));
      windows.inc();
      LOG.info("{}", line);
      if (print) {
        System.err.println(LocalTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS) + " " + line);
      }
      out.output(line.toString());
    }

    private static Map<String, Long> copy(Map<String, Long> state) {
      return state == null ? new HashMap<>() : new HashMap<>(state);
    }

    private static void countHold(Map<String, Map<Long, Long>> held, String source, long position, long delta) {
      Map<Long, Long> holds = held.computeIfAbsent(source, k -> new TreeMap<>());
      long count = holds.getOrDefault(position, 0L) + delta;
      if (count == 0) {
        holds.remove(position);
        if (holds.isEmpty()) {
          held.remove(source);
        }
      } else {
        holds.put(position, count);
      }
    }

    @Teardown
    public void teardown() {
      committer.close();
    }
  }
}
