package io.replicator.s3;

import io.replicator.common.Counters;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SetCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Decides per key what a sync does, with {@code aws s3 sync}'s rule by default: copy a source
 * object missing at the target, of another size, or newer than the target's; with
 * {@code --compare=size-only} only size counts, with {@code etag} the ETags (objects uploaded in
 * parts have ETags that depend on the part size, so those fall back to size and time), with
 * {@code checksum} keys of one size at both sides become {@code CHECK}s for {@link CompareChecksums}. Target keys
 * missing at the source are deleted with {@code --delete}; excluded keys are never touched.
 * Archived sources, unreadable source files and folder markers are reported, not copied.
 *
 * <p>Input: {@code [source, target]} listings. Each source key is decided as it is listed, against
 * the target's listing (a side input: the target is listed first, and copies start while the
 * source is still being listed). The target's keys that the source lacks wait for the whole
 * source listing: only deletes and reports wait for them.
 *
 * <p>The listings are looked up in one of two ways. By default each plan instance builds a map of
 * the target's listing in memory, once, and the source keys it finds there are gathered into a
 * set: a target key not in it is one the source lacks. The fastest on one machine, with memory
 * that grows with the target's listing (measured in {@code bench s3-sync}). {@link
 * #lookingUpByKey()} asks the runner for each source key's target instead (a map side input: on
 * Dataflow an indexed file read through the worker's cache) and finds the target-only keys by a
 * join in a fixed number of shards (by shard, never by object key), so a worker's memory does not
 * grow with the buckets; on the DirectRunner it is slower.
 *
 * <pre>{@code
 * PCollection<SyncAction> plan = PCollectionList.of(source).and(target)
 *     .apply(PlanSync.with(Compare.DEFAULT, KeyFilter.NONE, true));
 * }</pre>
 */
public final class PlanSync extends PTransform<PCollectionList<ObjectInfo>, PCollection<SyncAction>> {
  static final int SHARDS = 64;
  private static final TupleTag<SyncAction> DECISIONS = new TupleTag<>() {};
  private static final TupleTag<Set<String>> MATCHED = new TupleTag<>() {};

  /** How two objects of one key are compared. */
  public enum Compare {
    DEFAULT("size-and-time"), SIZE_ONLY("size-only"), ETAG("etag"), CHECKSUM("checksum");

    private final String option;

    Compare(String option) {
      this.option = option;
    }

    /** The option's spelling. */
    public String option() {
      return option;
    }

    public static Compare parse(String text) {
      for (Compare c : values()) {
        if (c.option.equals(text)) {
          return c;
        }
      }
      throw new IllegalArgumentException(
          "--compare='" + text + "': expected size-and-time, size-only, etag or checksum");
    }
  }

  private final Compare compare;
  private final KeyFilter filter;
  private final boolean delete;
  private final boolean byKey;

  private PlanSync(Compare compare, KeyFilter filter, boolean delete, boolean byKey) {
    this.compare = compare;
    this.filter = filter;
    this.delete = delete;
    this.byKey = byKey;
  }

  public static PlanSync with(Compare compare, KeyFilter filter, boolean delete) {
    return new PlanSync(compare, filter, delete, false);
  }

  /** Looks each source key up in the target's listing through the runner, never holding it whole. */
  public PlanSync lookingUpByKey() {
    return new PlanSync(compare, filter, delete, true);
  }

  @Override
  public PCollection<SyncAction> expand(PCollectionList<ObjectInfo> sides) {
    PCollectionList<SyncAction> decided = byKey
        ? lookedUpByKey(sides.get(0), sides.get(1)) : inMemory(sides.get(0), sides.get(1));
    return decided.apply("All decisions", Flatten.pCollections());
  }

  /** The source keys' decisions and the target-only keys', looked up through the runner. */
  private PCollectionList<SyncAction> lookedUpByKey(PCollection<ObjectInfo> source, PCollection<ObjectInfo> target) {
    PCollectionView<Map<String, ObjectInfo>> targets = target
        .apply("Target by key", WithKeys.of(ObjectInfo::key).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ObjectInfo.coder()))
        .apply("Target as map side input", View.asMap());
    PCollection<SyncAction> sourceKeys = source
        .apply("Decide source keys", ParDo.of(new LookupFn(targets, compare, filter)).withSideInputs(targets))
        .setCoder(SyncAction.coder());
    TupleTag<ObjectInfo> sourceTag = new TupleTag<>();
    TupleTag<ObjectInfo> targetTag = new TupleTag<>();
    PCollection<SyncAction> targetOnly = KeyedPCollectionTuple.of(sourceTag, sharded(source, "Shard source"))
        .and(targetTag, sharded(target, "Shard target"))
        .apply("Meet by shard", CoGroupByKey.create())
        .apply("Decide target-only keys", ParDo.of(new TargetOnlyFn(sourceTag, targetTag, new TargetOnly(filter, delete))))
        .setCoder(SyncAction.coder());
    return PCollectionList.of(sourceKeys).and(targetOnly);
  }

  /**
   * The source keys' decisions and the target-only keys', against the target's listing in memory.
   * A target key the source lacks is one no source key matched: the keys matched are gathered per
   * bundle as they are decided, and only they (none in a first sync) reach the union. A union of
   * every source key cost a first sync more (see the benchmarks guide, s3-sync), and the sharded
   * join more again: 5.94-6.16 s of user CPU against 6.18-6.43 s for a first copy of 10,000 objects
   * on the DirectRunner, a no-op 4.36-4.45 s wall against 4.60-4.70 s.
   */
  private PCollectionList<SyncAction> inMemory(PCollection<ObjectInfo> source, PCollection<ObjectInfo> target) {
    if (!(source.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      throw new IllegalArgumentException("PlanSync plans whole listings: the source's objects must be in the"
          + " global window");
    }
    PCollectionView<List<ObjectInfo>> targets = target.apply("Target as side input", View.asList());
    PCollectionTuple decided = source
        .apply("Decide source keys", ParDo.of(new SourceFn(targets, compare, filter)).withSideInputs(targets)
            .withOutputTags(DECISIONS, TupleTagList.of(MATCHED)));
    PCollectionView<Set<String>> matched = decided.get(MATCHED).setCoder(SetCoder.of(StringUtf8Coder.of()))
        .apply("Matched keys", Combine.globally(new KeySetFn()).asSingletonView());
    PCollection<SyncAction> targetOnly = target
        .apply("Decide target-only keys", ParDo.of(new TargetOnlyInMemoryFn(matched, new TargetOnly(filter, delete)))
            .withSideInputs(matched))
        .setCoder(SyncAction.coder());
    return PCollectionList.of(decided.get(DECISIONS).setCoder(SyncAction.coder())).and(targetOnly);
  }

  private static PCollection<KV<Integer, ObjectInfo>> sharded(PCollection<ObjectInfo> objects, String name) {
    return objects
        .apply(name, WithKeys.of((ObjectInfo o) -> Math.floorMod(o.key().hashCode(), SHARDS))
            .withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), ObjectInfo.coder()));
  }

  /** Decides each source key against the target's object of that key, if any. */
  private static final class SourceFn extends DoFn<ObjectInfo, SyncAction> {
    private final PCollectionView<List<ObjectInfo>> targets;
    private final Decide decide;

    SourceFn(PCollectionView<List<ObjectInfo>> targets, Compare compare, KeyFilter filter) {
      this.targets = targets;
      this.decide = new Decide(compare, filter);
    }

    /**
     * The target's objects by key, built once per instance from the side input (one window: the
     * listing does not change). A map side input instead made a no-op re-sync of 10,000 objects on
     * the DirectRunner 7.8 s against 5.4 s this way.
     */
    private transient Map<String, ObjectInfo> byKey;

    /** The source keys of this bundle that the target holds too. */
    private transient Set<String> matched;

    @StartBundle
    public void start() {
      matched = new HashSet<>();
    }

    @ProcessElement
    public void process(@Element ObjectInfo s, ProcessContext ctx) {
      if (byKey == null) {
        Map<String, ObjectInfo> m = new HashMap<>();
        for (ObjectInfo t : ctx.sideInput(targets)) {
          m.put(t.key(), t);
        }
        byKey = m;
      }
      ObjectInfo target = byKey.get(s.key());
      if (target != null) {
        matched.add(s.key());
      }
      ctx.output(decide.counted(s, target));
    }

    @FinishBundle
    public void finish(FinishBundleContext ctx) {
      if (!matched.isEmpty()) {
        ctx.output(MATCHED, matched, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE);
      }
      matched = null;
    }
  }

  /** Decides each source key against the target's object of that key, looked up through the runner. */
  private static final class LookupFn extends DoFn<ObjectInfo, SyncAction> {
    private final PCollectionView<Map<String, ObjectInfo>> targets;
    private final Decide decide;

    LookupFn(PCollectionView<Map<String, ObjectInfo>> targets, Compare compare, KeyFilter filter) {
      this.targets = targets;
      this.decide = new Decide(compare, filter);
    }

    @ProcessElement
    public void process(@Element ObjectInfo s, ProcessContext ctx) {
      ctx.output(decide.counted(s, ctx.sideInput(targets).get(s.key())));
    }
  }

  /** Decides the target keys the source lacks, met by shard: deleted with {@code --delete}, else reported. */
  private static final class TargetOnlyFn extends DoFn<KV<Integer, CoGbkResult>, SyncAction> {
    private final TupleTag<ObjectInfo> sourceTag;
    private final TupleTag<ObjectInfo> targetTag;
    private final TargetOnly decide;

    TargetOnlyFn(TupleTag<ObjectInfo> sourceTag, TupleTag<ObjectInfo> targetTag, TargetOnly decide) {
      this.sourceTag = sourceTag;
      this.targetTag = targetTag;
      this.decide = decide;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> shard, OutputReceiver<SyncAction> out) {
      Map<String, ObjectInfo> targets = new HashMap<>();
      for (ObjectInfo t : shard.getValue().getAll(targetTag)) {
        targets.put(t.key(), t);
      }
      for (ObjectInfo s : shard.getValue().getAll(sourceTag)) {
        targets.remove(s.key());
      }
      for (ObjectInfo t : targets.values()) {
        out.output(decide.counted(t));
      }
    }
  }

  /** Decides each target key the source lacks: one no source key matched (the set read once per instance). */
  private static final class TargetOnlyInMemoryFn extends DoFn<ObjectInfo, SyncAction> {
    private final PCollectionView<Set<String>> matchedKeys;
    private final TargetOnly decide;
    private transient Set<String> keys;

    TargetOnlyInMemoryFn(PCollectionView<Set<String>> matchedKeys, TargetOnly decide) {
      this.matchedKeys = matchedKeys;
      this.decide = decide;
    }

    @ProcessElement
    public void process(@Element ObjectInfo t, ProcessContext ctx) {
      if (keys == null) {
        keys = ctx.sideInput(matchedKeys);
      }
      if (!keys.contains(t.key())) {
        ctx.output(decide.counted(t));
      }
    }
  }

  /** The union of the matched keys' sets, one per bundle of source keys decided. */
  private static final class KeySetFn extends Combine.CombineFn<Set<String>, Set<String>, Set<String>> {
    @Override
    public Set<String> createAccumulator() {
      return new HashSet<>();
    }

    @Override
    public Set<String> addInput(Set<String> keys, Set<String> more) {
      keys.addAll(more);
      return keys;
    }

    @Override
    public Set<String> mergeAccumulators(Iterable<Set<String>> sets) {
      // Into the first one, as Beam allows: the keys are not copied once more.
      java.util.Iterator<Set<String>> each = sets.iterator();
      Set<String> all = each.hasNext() ? each.next() : createAccumulator();
      each.forEachRemaining(all::addAll);
      return all;
    }

    @Override
    public Set<String> extractOutput(Set<String> keys) {
      return keys;
    }

    @Override
    public Coder<Set<String>> getAccumulatorCoder(CoderRegistry registry, Coder<Set<String>> input) {
      return SetCoder.of(StringUtf8Coder.of());
    }

    @Override
    public Coder<Set<String>> getDefaultOutputCoder(CoderRegistry registry, Coder<Set<String>> input) {
      return SetCoder.of(StringUtf8Coder.of());
    }
  }

  /** The decision for a target key the source lacks: deleted with {@code --delete}, else reported. */
  private static final class TargetOnly implements java.io.Serializable {
    private final KeyFilter filter;
    private final boolean delete;
    private final Counter toDelete = Counters.counter(SyncCounters.OBJECTS_TO_DELETE);

    TargetOnly(KeyFilter filter, boolean delete) {
      this.filter = filter;
      this.delete = delete;
    }

    SyncAction counted(ObjectInfo t) {
      if (t.isFolderMarker()) {
        return new SyncAction(t.key(), SyncAction.Kind.SKIP, "folder marker at the target", null, t);
      }
      if (!filter.includes(t.key())) {
        return new SyncAction(t.key(), SyncAction.Kind.EXCLUDED, "excluded by the filters (never deleted)", null, t);
      }
      if (delete) {
        toDelete.inc();
        return new SyncAction(t.key(), SyncAction.Kind.DELETE, "not at the source", null, t);
      }
      return new SyncAction(t.key(), SyncAction.Kind.SKIP, "only at the target (no --delete)", null, t);
    }
  }

  /** The decision for a source key, with {@code aws s3 sync}'s rule or the compare mode's. */
  private static final class Decide implements java.io.Serializable {
    private final Compare compare;
    private final KeyFilter filter;
    private final Counter toCopy = Counters.counter(SyncCounters.OBJECTS_TO_COPY);
    private final Counter bytesToCopy = Counters.counter(SyncCounters.BYTES_TO_COPY);

    Decide(Compare compare, KeyFilter filter) {
      this.compare = compare;
      this.filter = filter;
    }

    /** The decision, with the copies it plans counted. */
    SyncAction counted(ObjectInfo s, ObjectInfo t) {
      SyncAction a = decide(s, t);
      if (a.kind() == SyncAction.Kind.COPY) {
        toCopy.inc();
        bytesToCopy.inc(s.size());
      }
      return a;
    }

    SyncAction decide(ObjectInfo s, ObjectInfo t) {
      if (s.isFolderMarker()) {
        return new SyncAction(s.key(), SyncAction.Kind.SKIP, "folder marker (aws s3 sync skips them)", s, t);
      }
      if (!filter.includes(s.key())) {
        return new SyncAction(s.key(), SyncAction.Kind.EXCLUDED, "excluded by the filters", s, t);
      }
      if (s.isUnreadable()) {
        return new SyncAction(s.key(), SyncAction.Kind.UNREADABLE, "the source file cannot be read: "
            + s.unreadableReason(), s, t);
      }
      if (compare == Compare.CHECKSUM && t != null && s.size() == t.size() && !s.isArchived()) {
        return new SyncAction(s.key(), SyncAction.Kind.CHECK, "same size", s, t);
      }
      String why = reasonToCopy(s, t);
      if (why == null) {
        return new SyncAction(s.key(), SyncAction.Kind.SKIP, "up to date", s, t);
      }
      if (s.isArchived()) {
        return new SyncAction(s.key(), SyncAction.Kind.ARCHIVED, "stored in " + s.storageClass()
            + ": restore it before it can be copied (" + why + ")", s, t);
      }
      return new SyncAction(s.key(), SyncAction.Kind.COPY, why, s, t);
    }

    /** Why the source must be copied, or null when the target is up to date. */
    private String reasonToCopy(ObjectInfo s, ObjectInfo t) {
      if (t == null) {
        return "missing at the target";
      }
      if (s.size() != t.size()) {
        return "size differs";
      }
      switch (compare) {
        case SIZE_ONLY:
          return null;
        case ETAG:
          if (!s.etag().contains("-") && !t.etag().contains("-")) {
            return s.etag().equals(t.etag()) ? null : "etag differs";
          }
          // An ETag of a multipart upload depends on its parts: compare as aws does.
          return s.lastModified() > t.lastModified() ? "source newer (multipart etag not comparable)" : null;
        default:
          return s.lastModified() > t.lastModified() ? "source newer" : null;
      }
    }
  }
}
