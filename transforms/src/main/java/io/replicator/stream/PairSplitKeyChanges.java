package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.common.Counters;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Brings the two halves of each key change the connector split (a delete of the old key and a
 * create of the new one at the same position, read from two partitions, perhaps minutes apart)
 * into one window: the first half to arrive waits until the other comes and both go on together,
 * stamped as the later one. The stream's windows then complete the create from the old key's row
 * ({@link io.replicator.batch.StageCompletingKeyMoves}) whatever the order and timing the halves
 * were read in. Runs before the windows, keyed by table and position.
 *
 * <pre>{@code
 * PCollectionTuple paired = halvesByPosition.apply(PairSplitKeyChanges.waitingAtMost(Duration.standardHours(1)));
 * PCollection<Change> changes = paired.get(PairSplitKeyChanges.CHANGES);
 * }</pre>
 *
 * <p>A waiting half's event is held back from the source's commits ({@link Progress#hold}) until
 * it goes on ({@link Progress#release}, in the window that merges it), and a Pub/Sub message is
 * acknowledged only then: a stream stopped meanwhile reads it again. A half whose partner has not come within the wait goes on alone (its create is
 * then a dead letter, its delete merged late), counted as {@value #UNPAIRED}. A half arriving again
 * soon after its pair went on (a duplicate delivery) goes on at once, as replays do.
 */
public final class PairSplitKeyChanges extends PTransform<PCollection<KV<String, KeyChangeHalf>>, PCollectionTuple> {
  public static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  public static final TupleTag<KV<String, Long>> PROGRESS = new TupleTag<>() {};
  /** Halves that had to wait for their partner. */
  public static final String WAITED = "key_change_halves_waited";
  /** Halves whose partner never came within the wait. */
  public static final String UNPAIRED = "key_change_halves_unpaired";

  private final Duration wait;

  private PairSplitKeyChanges(Duration wait) {
    this.wait = wait;
  }

  /** Halves keyed by {@link io.replicator.change.PartialKeyMoves#positionId}; a lone half goes on after {@code wait}. */
  public static PairSplitKeyChanges waitingAtMost(Duration wait) {
    if (wait.getMillis() < 1) {
      throw new IllegalArgumentException("the wait for a key change's other half must be positive, got " + wait);
    }
    return new PairSplitKeyChanges(wait);
  }

  @Override
  public PCollectionTuple expand(PCollection<KV<String, KeyChangeHalf>> halves) {
    PCollectionTuple out = halves.apply("Pair halves",
        ParDo.of(new PairFn(wait)).withOutputTags(CHANGES, TupleTagList.of(PROGRESS)));
    out.get(CHANGES).setCoder(ChangeCoder.of());
    out.get(PROGRESS).setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    return out;
  }

  private static final class PairFn extends DoFn<KV<String, KeyChangeHalf>, Change> {
    private final Duration wait;
    private final Counter waited = Counters.counter(WAITED);
    private final Counter unpaired = Counters.counter(UNPAIRED);

    @StateId("waiting")
    private final StateSpec<BagState<KeyChangeHalf>> waitingSpec = StateSpecs.bag(KeyChangeHalf.coder());

    @StateId("paired")
    private final StateSpec<ValueState<Boolean>> pairedSpec = StateSpecs.value();

    @TimerId("expiry")
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    PairFn(Duration wait) {
      this.wait = wait;
    }

    @ProcessElement
    public void process(@Element KV<String, KeyChangeHalf> element, @Timestamp Instant timestamp,
        @StateId("waiting") BagState<KeyChangeHalf> waiting,
        @StateId("paired") ValueState<Boolean> paired, @TimerId("expiry") Timer expiry, MultiOutputReceiver out) {
      KeyChangeHalf half = element.getValue();
      if (Boolean.TRUE.equals(paired.read())) {
        pass(half, out);
        return;
      }
      List<KeyChangeHalf> held = new ArrayList<>();
      waiting.read().forEach(held::add);
      boolean delete = half.change().op() == ChangeOp.DELETE;
      if (held.stream().anyMatch(h -> (h.change().op() == ChangeOp.DELETE) != delete)) {
        releases(held).forEach(out.get(PROGRESS)::output);
        held.forEach(h -> pass(h, out));
        pass(half, out);
        waiting.clear();
        paired.write(true); // Until the timer: later copies of either half go straight on.
        return;
      }
      if (held.isEmpty()) {
        // Events are stamped when read, so their time is the stream's clock: a lone half goes on
        // once the stream has read past its time plus the wait, stamped then.
        expiry.set(timestamp.plus(wait));
      }
      // One hold per event however often it is delivered: each is released once.
      if (half.ackId() == null && held.stream().noneMatch(h -> sameEvent(h, half))) {
        out.get(PROGRESS).output(Progress.hold(half.source(), half.position()));
      }
      waiting.add(half);
      waited.inc();
    }

    @OnTimer("expiry")
    public void expire(OnTimerContext ctx, @StateId("waiting") BagState<KeyChangeHalf> waiting,
        @StateId("paired") ValueState<Boolean> paired) {
      List<KeyChangeHalf> held = new ArrayList<>();
      waiting.read().forEach(held::add);
      releases(held).forEach(r -> ctx.output(PROGRESS, r));
      for (KeyChangeHalf h : held) {
        unpaired.inc();
        ctx.output(PROGRESS, h.progress());
        ctx.output(CHANGES, h.change());
      }
      waiting.clear();
      paired.clear();
    }

    /** One release per held event (a Pub/Sub message is not held: its ack waits instead). */
    private static List<KV<String, Long>> releases(List<KeyChangeHalf> held) {
      List<KV<String, Long>> releases = new ArrayList<>();
      for (int i = 0; i < held.size(); i++) {
        KeyChangeHalf h = held.get(i);
        if (h.ackId() == null && held.subList(0, i).stream().noneMatch(earlier -> sameEvent(earlier, h))) {
          releases.add(Progress.release(h.source(), h.position()));
        }
      }
      return releases;
    }

    private static boolean sameEvent(KeyChangeHalf a, KeyChangeHalf b) {
      return a.position() == b.position() && a.source().equals(b.source());
    }

    private static void pass(KeyChangeHalf h, MultiOutputReceiver out) {
      out.get(PROGRESS).output(h.progress());
      out.get(CHANGES).output(h.change());
    }
  }
}
