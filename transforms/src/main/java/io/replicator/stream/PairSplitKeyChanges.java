package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.common.Counters;
import io.replicator.common.RecordCoder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Brings the two halves of each key change the connector split (a delete of the old key and a
 * create of the new one at the same position, marked by its headers, read from two partitions
 * perhaps minutes apart) into one window, with every change of either key read after its half
 * while the other half was awaited: they wait together and go on together, stamped as the
 * element that completes the pair. The window that gets them completes the create from the old
 * key's row just before the move ({@link io.replicator.batch.StageCompletingKeyMoves}) whatever the
 * order and timing the halves were read in; a chain of key changes (k1 to k2, then k2 to k3) goes
 * on as one group. Runs before the windows, in two keyed steps: by shard of keys (every change
 * passes through, so that a key's later changes follow its half), then by table (only what waits).
 *
 * <pre>{@code
 * PCollectionTuple paired = changesByKey.apply(PairSplitKeyChanges.waitingAtMost(Duration.standardHours(1)));
 * PCollection<Change> changes = paired.get(PairSplitKeyChanges.CHANGES);
 * }</pre>
 *
 * <p>A waiting change's event is held back from the source's commits ({@link Progress#hold}) until
 * it goes on ({@link Progress#release}, in the window that merges it), and a Pub/Sub message is
 * acknowledged only then: a stream stopped meanwhile reads it again. A half whose partner has not
 * come within the wait goes on alone with its followers (its create is then a dead letter, its
 * delete merged late), counted as {@value #UNPAIRED}. A half arriving again after its pair went on
 * (a duplicate delivery) goes on at once, as replays do.
 */
public final class PairSplitKeyChanges extends PTransform<PCollection<KV<String, SourcedChange>>, PCollectionTuple> {
  public static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  public static final TupleTag<KV<String, Long>> PROGRESS = new TupleTag<>() {};
  /** Changes that wait, by table, with the position they wait at. */
  private static final TupleTag<KV<String, KV<String, SourcedChange>>> WAITING = new TupleTag<>() {};
  /** Changes that waited for the other half of a key change: halves and their keys' changes after them. */
  public static final String WAITED = "key_change_waits";
  /** Halves whose partner never came within the wait. */
  public static final String UNPAIRED = "key_change_halves_unpaired";

  private final Duration wait;

  private PairSplitKeyChanges(Duration wait) {
    this.wait = wait;
  }

  /**
   * Changes keyed by {@link #shardOf}; a half goes on alone after {@code wait} of stream time.
   */
  public static PairSplitKeyChanges waitingAtMost(Duration wait) {
    if (wait.getMillis() < 1) {
      throw new IllegalArgumentException("the wait for a key change's other half must be positive, got " + wait);
    }
    return new PairSplitKeyChanges(wait);
  }

  @Override
  public PCollectionTuple expand(PCollection<KV<String, SourcedChange>> byKey) {
    KvCoder<String, Long> progressCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollectionTuple guarded = byKey.apply("Follow halves by key",
        ParDo.of(new FollowFn(wait)).withOutputTags(CHANGES, TupleTagList.of(PROGRESS).and(WAITING)));
    guarded.get(CHANGES).setCoder(ChangeCoder.of());
    guarded.get(PROGRESS).setCoder(progressCoder);
    PCollectionTuple paired = guarded.get(WAITING)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), SourcedChange.coder())))
        .apply("Pair halves", ParDo.of(new PairFn(wait)).withOutputTags(CHANGES, TupleTagList.of(PROGRESS)));
    paired.get(CHANGES).setCoder(ChangeCoder.of());
    paired.get(PROGRESS).setCoder(progressCoder);
    return PCollectionTuple
        .of(CHANGES, PCollectionList.of(guarded.get(CHANGES)).and(paired.get(CHANGES))
            .apply("All changes", Flatten.pCollections()).setCoder(ChangeCoder.of()))
        .and(PROGRESS, PCollectionList.of(guarded.get(PROGRESS)).and(paired.get(PROGRESS))
            .apply("All progress", Flatten.pCollections()).setCoder(progressCoder));
  }

  /**
   * The step that follows halves by key runs keyed by table and a shard of the key's hash: few
   * keys, so that a runner that runs each key's state apart (the DirectRunner) is not slowed down
   * per key, and enough for a runner that spreads keys over workers.
   */
  static final int SHARDS = 16;

  /** The key of a change for {@link #waitingAtMost}'s input: its table and its key's shard. */
  public static String shardOf(Change c) {
    return c.table() + '\u0000' + Math.floorMod(c.key().hashCode(), SHARDS);
  }

  /**
   * Per shard of keys: a marked half sends it, and every change of its key after it until the wait
   * is over, to its table's waiting changes, at the half's position; any other change goes
   * straight on.
   */
  private static final class FollowFn extends DoFn<KV<String, SourcedChange>, Change> {
    private final Duration wait;

    /** The keys that follow a half: key → its position and the stream time the following ends. */
    @StateId("following")
    private final StateSpec<ValueState<Map<String, KV<String, Long>>>> followingSpec = StateSpecs.value(
        MapCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())));

    @TimerId("expiry")
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    FollowFn(Duration wait) {
      this.wait = wait;
    }

    @ProcessElement
    public void process(@Element KV<String, SourcedChange> element, @Timestamp Instant timestamp,
        @StateId("following") ValueState<Map<String, KV<String, Long>>> followingState,
        @TimerId("expiry") Timer expiry, MultiOutputReceiver out) {
      SourcedChange c = element.getValue();
      Map<String, KV<String, Long>> following = followingState.read();
      if (c.splitHalf()) {
        String at = PartialKeyMoves.positionId(c.change().table(), c.change().sequence());
        Map<String, KV<String, Long>> updated = following == null ? new HashMap<>() : new HashMap<>(following);
        // Events are stamped when read, so their time is the stream's clock.
        long until = timestamp.plus(wait).getMillis();
        updated.put(c.change().key(), KV.of(at, until));
        followingState.write(updated);
        expiry.set(new Instant(updated.values().stream().mapToLong(KV::getValue).min().orElse(until)));
        out.get(WAITING).output(KV.of(c.change().table(), KV.of(at, c)));
        return;
      }
      KV<String, Long> half = following == null ? null : following.get(c.change().key());
      if (half != null) {
        out.get(WAITING).output(KV.of(c.change().table(), KV.of(half.getKey(), c)));
      } else {
        out.get(PROGRESS).output(c.progress());
        out.get(CHANGES).output(c.change());
      }
    }

    @OnTimer("expiry")
    public void expire(OnTimerContext ctx, @StateId("following") ValueState<Map<String, KV<String, Long>>> followingState,
        @TimerId("expiry") Timer expiry) {
      long now = ctx.fireTimestamp().getMillis();
      Map<String, KV<String, Long>> following = followingState.read() == null ? new HashMap<>()
          : new HashMap<>(followingState.read());
      following.values().removeIf(f -> f.getValue() <= now);
      if (following.isEmpty()) {
        followingState.clear();
      } else {
        followingState.write(following);
        expiry.set(new Instant(following.values().stream().mapToLong(KV::getValue).min().getAsLong()));
      }
    }
  }

  /**
   * Per table: what waits goes on in groups, each the changes linked by position or key (a chain
   * of key changes, k1 to k2 to k3, is one group), once every position in it has both halves.
   */
  private static final class PairFn extends DoFn<KV<String, KV<String, SourcedChange>>, Change> {
    private final Duration wait;
    private final Counter waited = Counters.counter(WAITED);
    private final Counter unpaired = Counters.counter(UNPAIRED);

    /** Each waiting change with the position it waits at and the stream time it came. */
    @StateId("waiting")
    private final StateSpec<ValueState<List<Waiting>>> waitingSpec = StateSpecs.value(ListCoder.of(Waiting.CODER));

    /** Positions whose changes went on, until when what comes for them goes straight on. */
    @StateId("gone")
    private final StateSpec<ValueState<Map<String, Long>>> goneSpec =
        StateSpecs.value(MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

    @TimerId("expiry")
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    PairFn(Duration wait) {
      this.wait = wait;
    }

    @ProcessElement
    public void process(@Element KV<String, KV<String, SourcedChange>> element, @Timestamp Instant timestamp,
        @StateId("waiting") ValueState<List<Waiting>> waitingState,
        @StateId("gone") ValueState<Map<String, Long>> goneState, @TimerId("expiry") Timer expiry,
        MultiOutputReceiver out) {
      String at = element.getValue().getKey();
      SourcedChange c = element.getValue().getValue();
      Map<String, Long> gone = goneState.read() == null ? new HashMap<>() : new HashMap<>(goneState.read());
      List<Waiting> waiting =
          waitingState.read() == null ? new ArrayList<>() : new ArrayList<>(waitingState.read());
      if (gone.containsKey(at)) {
        if (c.splitHalf()) {
          gone.put(at, timestamp.plus(wait).getMillis()); // As long as its key sends followers here.
        }
        out.get(PROGRESS).output(c.progress());
        out.get(CHANGES).output(c.change());
      } else {
        // One hold per event however often it is delivered: each is released once.
        if (c.ackId() == null && waiting.stream().noneMatch(w -> w.change().sameEvent(c))) {
          out.get(PROGRESS).output(Progress.hold(c.source(), c.position()));
        }
        waiting.add(new Waiting(at, timestamp.getMillis(), c));
        waited.inc();
        for (List<Waiting> group : groups(waiting)) {
          if (paired(group)) {
            release(group, waiting, gone, timestamp.plus(wait).getMillis(), out.get(PROGRESS)::output,
                out.get(CHANGES)::output);
          }
        }
      }
      save(waiting, gone, waitingState, goneState, expiry);
    }

    @OnTimer("expiry")
    public void expire(OnTimerContext ctx, @StateId("waiting") ValueState<List<Waiting>> waitingState,
        @StateId("gone") ValueState<Map<String, Long>> goneState, @TimerId("expiry") Timer expiry) {
      long now = ctx.fireTimestamp().getMillis();
      Map<String, Long> gone = goneState.read() == null ? new HashMap<>() : new HashMap<>(goneState.read());
      gone.values().removeIf(until -> until <= now);
      List<Waiting> waiting =
          waitingState.read() == null ? new ArrayList<>() : new ArrayList<>(waitingState.read());
      for (List<Waiting> group : groups(waiting)) {
        if (group.stream().anyMatch(w -> w.since() + wait.getMillis() <= now)) {
          group.stream().filter(w -> w.change().splitHalf()).forEach(w -> unpaired.inc());
          release(group, waiting, gone, now + wait.getMillis(), r -> ctx.output(PROGRESS, r),
              ch -> ctx.output(CHANGES, ch));
        }
      }
      save(waiting, gone, waitingState, goneState, expiry);
    }

    /** The waiting changes linked by position or by key, each group in arrival order. */
    private static List<List<Waiting>> groups(List<Waiting> waiting) {
      int[] parent = new int[waiting.size()];
      Map<String, Integer> first = new HashMap<>();
      for (int i = 0; i < waiting.size(); i++) {
        parent[i] = i;
        for (String link : List.of("@" + waiting.get(i).at(), "#" + waiting.get(i).change().change().key())) {
          Integer j = first.putIfAbsent(link, i);
          if (j != null) {
            parent[root(parent, i)] = root(parent, j);
          }
        }
      }
      Map<Integer, List<Waiting>> groups = new LinkedHashMap<>();
      for (int i = 0; i < waiting.size(); i++) {
        groups.computeIfAbsent(root(parent, i), k -> new ArrayList<>()).add(waiting.get(i));
      }
      return new ArrayList<>(groups.values());
    }

    private static int root(int[] parent, int i) {
      while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
      }
      return i;
    }

    /** Whether every position of the group's halves has both a delete half and a create half. */
    private static boolean paired(List<Waiting> group) {
      Map<String, Integer> halves = new HashMap<>(); // position → 1 delete, 2 create, 3 both
      for (Waiting w : group) {
        if (w.change().splitHalf()) {
          halves.merge(w.at(), w.change().change().op() == ChangeOp.DELETE ? 1 : 2, (x, y) -> x | y);
        }
      }
      return !halves.isEmpty() && halves.values().stream().allMatch(h -> h == 3);
    }

    /** Passes the group on (its holds released once per event) and marks its positions gone until {@code until}. */
    private static void release(List<Waiting> group, List<Waiting> waiting,
        Map<String, Long> gone, long until, Consumer<KV<String, Long>> progress, Consumer<Change> changes) {
      for (int i = 0; i < group.size(); i++) {
        SourcedChange h = group.get(i).change();
        // A Pub/Sub message is not held: its ack waits instead.
        if (h.ackId() == null && group.subList(0, i).stream().noneMatch(w -> w.change().sameEvent(h))) {
          progress.accept(Progress.release(h.source(), h.position()));
        }
        progress.accept(h.progress());
        changes.accept(h.change());
        gone.put(group.get(i).at(), until);
      }
      waiting.removeAll(group);
    }

    private void save(List<Waiting> waiting, Map<String, Long> gone,
        ValueState<List<Waiting>> waitingState, ValueState<Map<String, Long>> goneState,
        Timer expiry) {
      long next = Long.MAX_VALUE;
      for (Waiting w : waiting) {
        next = Math.min(next, w.since() + wait.getMillis());
      }
      for (long until : gone.values()) {
        next = Math.min(next, until);
      }
      if (waiting.isEmpty()) {
        waitingState.clear();
      } else {
        waitingState.write(waiting);
      }
      if (gone.isEmpty()) {
        goneState.clear();
      } else {
        goneState.write(gone);
      }
      if (next != Long.MAX_VALUE) {
        expiry.set(new Instant(next));
      }
    }

    /** A change waiting at a position (a split key change's), since a time of the stream. */
    private record Waiting(String at, long since, SourcedChange change) {
      static final RecordCoder<Waiting> CODER = RecordCoder.of(Waiting.class,
          (w, out) -> out.string(w.at()).varLong(w.since()).with(SourcedChange.coder(), w.change()),
          in -> new Waiting(in.string(), in.varLong(), in.with(SourcedChange.coder())));
    }
  }
}
