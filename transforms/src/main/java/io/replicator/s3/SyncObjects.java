package io.replicator.s3;

import com.google.auto.value.AutoValue;
import io.replicator.common.Counters;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * The s3-sync flow, whole: lists both sides, plans per key with {@code aws s3 sync}'s rules
 * (checksums compared where asked), copies (server-side where it can, streaming where it cannot;
 * uploads from and downloads to a directory), deletes extraneous keys only after every copy
 * succeeded, and outputs one JSON report line per key, counting each result as {@code sync_<action>}.
 *
 * <pre>{@code
 * PCollection<String> report = p.apply(SyncObjects.between(
 *     Directory.parse("--source", "/data/exports"),
 *     new SyncSide.Bucket(endpoint, S3Location.parse("--target", "s3://b/exports")), copySettings).deleting(1000));
 * }</pre>
 */
@AutoValue
public abstract class SyncObjects extends PTransform<PBegin, PCollection<String>> {
  /** Result actions, each counted as {@code sync_<action>} ({@link SyncCounters#action}). */
  public static final List<String> ACTIONS = List.of("copied", "would copy", "skipped", "deleted", "would delete",
      "failed", "archived", "excluded");

  /** Copy sequences under a throughput bound: enough to keep a bound busy, few enough to hold it. */
  static final int THROTTLED_LANES = 4;

  abstract SyncSide source();

  abstract SyncSide target();

  abstract CopySettings copy();

  abstract PlanSync.Compare compare();

  abstract KeyFilter filter();

  abstract boolean delete();

  abstract long maxDelete();

  abstract double maxBytesPerSecond();

  abstract boolean targetsByKey();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSource(SyncSide side);

    abstract Builder setTarget(SyncSide side);

    abstract Builder setCopy(CopySettings copy);

    abstract Builder setCompare(PlanSync.Compare compare);

    abstract Builder setFilter(KeyFilter filter);

    abstract Builder setDelete(boolean delete);

    abstract Builder setMaxDelete(long maxDelete);

    abstract Builder setMaxBytesPerSecond(double bytesPerSecond);

    abstract Builder setTargetsByKey(boolean byKey);

    abstract SyncObjects build();
  }

  /** Syncs {@code source} into {@code target}: sizes and times compared, every key, nothing deleted. */
  public static SyncObjects between(SyncSide source, SyncSide target, CopySettings copy) {
    return new AutoValue_SyncObjects.Builder().setSource(source).setTarget(target).setCopy(copy)
        .setCompare(PlanSync.Compare.DEFAULT).setFilter(new KeyFilter(List.of())).setDelete(false).setMaxDelete(-1)
        .setMaxBytesPerSecond(0).setTargetsByKey(false).build();
  }

  /** Syncs one bucket prefix into another. */
  public static SyncObjects between(S3Endpoint sourceEndpoint, S3Location source, S3Endpoint targetEndpoint,
      S3Location target, CopySettings copy) {
    return between(new SyncSide.Bucket(sourceEndpoint, source), new SyncSide.Bucket(targetEndpoint, target), copy);
  }

  /** How a key is found to differ; ETags and checksums are S3's, so both sides must be buckets. */
  public SyncObjects comparing(PlanSync.Compare compare) {
    checkCompare(compare, source(), target());
    return toBuilder().setCompare(compare).build();
  }

  /** Refuses an ETag or checksum compare where a side is a directory (a file has no ETag). */
  public static void checkCompare(PlanSync.Compare compare, SyncSide source, SyncSide target) {
    if (compare != PlanSync.Compare.DEFAULT && compare != PlanSync.Compare.SIZE_ONLY
        && !(source instanceof SyncSide.Bucket && target instanceof SyncSide.Bucket)) {
      throw new IllegalArgumentException("--compare=" + compare.option() + " compares S3 ETags, which a directory"
          + " does not have: use size-and-time or size-only");
    }
  }

  /** Which keys take part ({@code --exclude}/{@code --include}); excluded keys are never deleted. */
  public SyncObjects filtering(KeyFilter filter) {
    return toBuilder().setFilter(filter).build();
  }

  /** Deletes target keys the source lacks once every copy succeeded, none when more than {@code maxDelete} would go (-1: no bound). */
  public SyncObjects deleting(long maxDelete) {
    return toBuilder().setDelete(true).setMaxDelete(maxDelete).build();
  }

  /** Copies at most this many bytes per second across all workers. */
  public SyncObjects withMaxThroughput(double bytesPerSecond) {
    return toBuilder().setMaxBytesPerSecond(bytesPerSecond).build();
  }

  /**
   * Plans against the target's listing looked up key by key through the runner instead of a map
   * in memory ({@link PlanSync#lookingUpByKey()}): for runners that serve side inputs from disk
   * (Dataflow), where a bucket can outgrow a worker's memory.
   */
  public SyncObjects lookingUpTargetsByKey() {
    return toBuilder().setTargetsByKey(true).build();
  }

  @Override
  public PCollection<String> expand(PBegin p) {
    // Step 1: both sides listed, each key planned.
    PCollection<ObjectInfo> listedSource = p.apply("List source", listing(source(), "source"));
    PCollection<ObjectInfo> listedTarget = p.apply("List target", listing(target(), "target"));
    PCollection<SyncAction> actions = PCollectionList.of(listedSource).and(listedTarget)
        .apply("Plan", targetsByKey() ? PlanSync.with(compare(), filter(), delete()).lookingUpByKey()
            : PlanSync.with(compare(), filter(), delete()));
    if (compare() == PlanSync.Compare.CHECKSUM) {
      SyncSide.Bucket from = (SyncSide.Bucket) source();
      SyncSide.Bucket to = (SyncSide.Bucket) target();
      PCollection<SyncAction> checked = actions
          .apply("To check", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.CHECK))
          .apply("Checksums", CompareChecksums.between(from.endpoint(), from.location(), to.endpoint(), to.location()));
      actions = PCollectionList.of(actions.apply("Decided", Filter.by((SyncAction a) -> a.kind() != SyncAction.Kind.CHECK)))
          .and(checked).apply("All decisions", Flatten.pCollections());
    }

    // Step 2: copies; what is not copied is reported as it was decided.
    CopyObjects copies = CopyObjects.between(source(), target(), copy());
    PCollection<SyncResult> copied = actions
        .apply("To copy", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.COPY))
        .apply("Copy", maxBytesPerSecond() > 0 ? copies.withMaxThroughput(maxBytesPerSecond(), THROTTLED_LANES) : copies);
    PCollection<SyncResult> others = actions
        .apply("Not copied", Filter.by((SyncAction a) -> a.kind() != SyncAction.Kind.COPY
            && a.kind() != SyncAction.Kind.DELETE))
        .apply("As results", MapElements.into(TypeDescriptor.of(SyncResult.class)).via(SyncObjects::reported))
        .setCoder(SyncResult.coder());
    PCollectionList<SyncResult> results = PCollectionList.of(copied).and(others);

    // Step 3: deletes, only once every copy succeeded (an unreadable source file is a copy that
    // did not) and within the bound.
    if (delete()) {
      PCollection<SyncAction> toDelete = actions
          .apply("To delete", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.DELETE));
      PCollectionView<Long> failedCopies = PCollectionList.of(copied).and(others)
          .apply("Copies and reports", Flatten.pCollections())
          .apply("Failed copies", Filter.by((SyncResult r) -> r.action().equals("failed")))
          .apply("Count failed", Count.globally()).apply("Failed as side input", View.asSingleton());
      PCollectionView<Long> planned = toDelete
          .apply("Count deletes", Count.globally()).apply("Deletes as side input", View.asSingleton());
      results = results.and(toDelete.apply("Delete", DeleteObjects.from(target(), failedCopies, planned)
          .withMaxDelete(maxDelete()).dryRun(copy().dryRun())));
    }

    // Step 4: every key counted and reported.
    return results.apply("All results", Flatten.pCollections())
        .apply("Count and render", ParDo.of(new ReportFn())).setCoder(StringUtf8Coder.of());
  }

  private static PTransform<PBegin, PCollection<ObjectInfo>> listing(SyncSide side, String name) {
    if (side instanceof SyncSide.Bucket b) {
      return ListObjects.of(b.endpoint(), b.location(), name);
    }
    return ListFiles.of((Directory) side, name);
  }

  private static SyncResult reported(SyncAction a) {
    ObjectInfo o = a.source() != null ? a.source() : a.target();
    String action = switch (a.kind()) {
      case ARCHIVED -> "archived";
      case EXCLUDED -> "excluded";
      case UNREADABLE -> "failed";
      default -> "skipped";
    };
    return new SyncResult(a.key(), action, a.reason(), o.size(), a.source() == null ? "" : a.source().etag(),
        a.target() == null ? "" : a.target().etag(), 0);
  }

  /** Counts each result by its action and renders its report line. */
  private static final class ReportFn extends DoFn<SyncResult, String> {
    private final Map<String, Counter> counters = new HashMap<>();

    ReportFn() {
      for (String a : ACTIONS) {
        counters.put(a, Counters.counter(SyncCounters.action(a)));
      }
    }

    @ProcessElement
    public void process(@Element SyncResult r, OutputReceiver<String> out) {
      counters.get(r.action()).inc();
      out.output(r.toJson());
    }
  }
}
