package io.replicator.pipelines;

import io.replicator.common.ByteSize;
import io.replicator.common.Counters;
import io.replicator.s3.CompareChecksums;
import io.replicator.s3.CopyObjects;
import io.replicator.s3.CopySettings;
import io.replicator.s3.DeleteObjects;
import io.replicator.s3.KeyFilter;
import io.replicator.s3.ListObjects;
import io.replicator.s3.ObjectInfo;
import io.replicator.s3.PlanSync;
import io.replicator.s3.S3Endpoint;
import io.replicator.s3.S3Errors;
import io.replicator.s3.S3Location;
import io.replicator.s3.S3SyncException;
import io.replicator.s3.SyncAction;
import io.replicator.s3.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The {@code s3-sync} pipeline: lists both sides, plans per key with {@code aws s3 sync}'s rules,
 * copies (server-side where it can, streaming where it cannot), deletes extraneous keys only after
 * every copy succeeded, and reports every key.
 */
public final class S3SyncPipeline {
  /** Result actions, each counted as {@code sync_<action>}. */
  static final List<String> ACTIONS = List.of("copied", "would copy", "skipped", "deleted", "would delete", "failed",
      "archived", "excluded");

  /** Copy sequences under a throughput bound: enough to keep a bound busy, few enough to hold it. */
  static final int THROTTLED_LANES = 4;

  private S3SyncPipeline() {}

  /** The options checked and parsed; {@code args} are the raw arguments, for the order of the filters. */
  record Plan(S3Endpoint sourceEndpoint, S3Location source, S3Endpoint targetEndpoint, S3Location target,
      PlanSync.Compare compare, KeyFilter filter, boolean delete, long maxDelete, CopySettings copy, String report,
      double maxBytesPerSecond) {
    static Plan of(S3SyncOptions o, String[] args) {
      S3Location source = parse(() -> S3Location.parse("--source", o.getSource()));
      S3Location target = parse(() -> S3Location.parse("--target", o.getTarget()));
      boolean pathStyle = Boolean.TRUE.equals(o.getPathStyle());
      S3Endpoint sourceEndpoint = new S3Endpoint(blank(o.getSourceEndpoint()), blank(o.getSourceRegion()), pathStyle,
          blank(o.getSourceProfile()));
      S3Endpoint targetEndpoint = new S3Endpoint(blank(o.getTargetEndpoint()), blank(o.getTargetRegion()), pathStyle,
          blank(o.getTargetProfile()));
      if (sourceEndpoint.sameServiceAs(targetEndpoint) && source.bucket().equals(target.bucket())
          && (source.prefix().startsWith(target.prefix()) || target.prefix().startsWith(source.prefix()))) {
        throw new OptionsException("--source=" + source + " and --target=" + target + " overlap; sync between"
            + " separate prefixes");
      }
      PlanSync.Compare compare = parse(() -> PlanSync.Compare.parse(o.getCompare()));
      CopySettings copy = parse(() -> new CopySettings(ByteSize.parse(o.getMultipartThreshold()),
          ByteSize.parse(o.getMultipartChunkSize()), blank(o.getStorageClass()), blank(o.getAcl()), blank(o.getSse()),
          blank(o.getSseKmsKeyId()), Boolean.TRUE.equals(o.getDryRun()), o.getCopiesInFlight()));
      if (copy.sse() != null && !copy.sse().equals("AES256") && !copy.sse().equals("aws:kms")) {
        throw new OptionsException("--sse='" + copy.sse() + "': expected AES256 or aws:kms");
      }
      if (copy.kmsKeyId() != null && !"aws:kms".equals(copy.sse())) {
        throw new OptionsException("--sseKmsKeyId needs --sse=aws:kms");
      }
      boolean delete = Boolean.TRUE.equals(o.getDelete());
      long maxDelete = o.getMaxDelete() == null ? -1 : o.getMaxDelete();
      if (maxDelete >= 0 && !delete) {
        throw new OptionsException("--maxDelete bounds --delete, which is not given");
      }
      double maxThroughput = blank(o.getMaxThroughput()) == null ? 0
          : parse(() -> io.replicator.common.Throughput.bytesPerSecond(o.getMaxThroughput()));
      return new Plan(sourceEndpoint, source, targetEndpoint, target, compare, filter(o, args), delete, maxDelete, copy,
          blank(o.getReport()), maxThroughput);
    }

    /**
     * The filter rules in the order the arguments gave them (aws applies them so); options set
     * otherwise (a template) apply the excludes first, then the includes.
     */
    private static KeyFilter filter(S3SyncOptions o, String[] args) {
      List<KeyFilter.Rule> rules = new ArrayList<>();
      for (String a : args) {
        boolean include = a.startsWith("--include=");
        if (include || a.startsWith("--exclude=")) {
          // Beam reads a list option's value as comma-separated globs; so does this.
          for (String glob : a.substring(a.indexOf('=') + 1).split(",")) {
            rules.add(new KeyFilter.Rule(include, glob));
          }
        }
      }
      if (rules.isEmpty()) {
        for (String e : o.getExclude() == null ? List.<String>of() : o.getExclude()) {
          rules.add(new KeyFilter.Rule(false, e));
        }
        for (String i : o.getInclude() == null ? List.<String>of() : o.getInclude()) {
          rules.add(new KeyFilter.Rule(true, i));
        }
      }
      return new KeyFilter(rules);
    }
  }

  private static <T> T parse(java.util.function.Supplier<T> s) {
    try {
      return s.get();
    } catch (IllegalArgumentException e) {
      throw new OptionsException(e.getMessage());
    }
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** Lists one key of each side before anything runs: a missing bucket or bad credentials say so now. */
  static void checkReachable(Plan plan) {
    for (Object[] side : new Object[][] {{plan.sourceEndpoint(), plan.source(), "--source"},
        {plan.targetEndpoint(), plan.target(), "--target"}}) {
      S3Endpoint endpoint = (S3Endpoint) side[0];
      S3Location location = (S3Location) side[1];
      try {
        endpoint.client().listObjectsV2(b -> b.bucket(location.bucket()).prefix(location.prefix()).maxKeys(1));
      } catch (SdkException e) {
        throw new S3SyncException(side[2] + "=" + location + ": " + S3Errors.describe("listing", endpoint, e), e);
      }
    }
  }

  static PipelineResult run(S3SyncOptions options, Plan plan) {
    checkReachable(plan);
    Pipeline p = Pipeline.create(options);
    PCollection<ObjectInfo> source = p.apply("List source", ListObjects.of(plan.sourceEndpoint(), plan.source(), "source"));
    PCollection<ObjectInfo> target = p.apply("List target", ListObjects.of(plan.targetEndpoint(), plan.target(), "target"));
    PCollection<SyncAction> actions = PCollectionList.of(source).and(target)
        .apply("Plan", PlanSync.with(plan.compare(), plan.filter(), plan.delete()));
    if (plan.compare() == PlanSync.Compare.CHECKSUM) {
      PCollection<SyncAction> checked = actions
          .apply("To check", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.CHECK))
          .apply("Checksums", CompareChecksums.between(plan.sourceEndpoint(), plan.source(), plan.targetEndpoint(),
              plan.target()));
      actions = PCollectionList.of(actions.apply("Decided", Filter.by((SyncAction a) -> a.kind() != SyncAction.Kind.CHECK)))
          .and(checked).apply("All decisions", Flatten.pCollections());
    }

    CopyObjects copies = CopyObjects.between(plan.sourceEndpoint(), plan.source(), plan.targetEndpoint(), plan.target(),
        plan.copy());
    PCollection<SyncResult> copied = actions
        .apply("To copy", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.COPY))
        .apply("Copy", plan.maxBytesPerSecond() > 0
            ? copies.withMaxThroughput(plan.maxBytesPerSecond(), THROTTLED_LANES) : copies);
    PCollection<SyncResult> others = actions
        .apply("Not copied", Filter.by((SyncAction a) -> a.kind() != SyncAction.Kind.COPY
            && a.kind() != SyncAction.Kind.DELETE))
        .apply("As results", MapElements.into(org.apache.beam.sdk.values.TypeDescriptor.of(SyncResult.class)).via(S3SyncPipeline::reported))
        .setCoder(SyncResult.Coder.of());
    PCollectionList<SyncResult> results = PCollectionList.of(copied).and(others);
    if (plan.delete()) {
      PCollection<SyncAction> toDelete = actions
          .apply("To delete", Filter.by((SyncAction a) -> a.kind() == SyncAction.Kind.DELETE));
      PCollectionView<Long> failedCopies = copied
          .apply("Failed copies", Filter.by((SyncResult r) -> r.action().equals("failed")))
          .apply("Count failed", Count.globally()).apply("Failed as side input", View.asSingleton());
      PCollectionView<Long> planned = toDelete
          .apply("Count deletes", Count.globally()).apply("Deletes as side input", View.asSingleton());
      results = results.and(toDelete.apply("Delete", DeleteObjects.from(plan.targetEndpoint(), plan.target(),
          failedCopies, planned).withMaxDelete(plan.maxDelete()).dryRun(plan.copy().dryRun())));
    }
    PCollection<String> lines = results.apply("All results", Flatten.pCollections())
        .apply("Count and render", ParDo.of(new ReportFn())).setCoder(StringUtf8Coder.of());
    if (plan.report() != null) {
      lines.apply("Write report", TextIO.write().to(plan.report()).withoutSharding());
    }
    return p.run();
  }

  private static SyncResult reported(SyncAction a) {
    ObjectInfo o = a.source() != null ? a.source() : a.target();
    String action = switch (a.kind()) {
      case ARCHIVED -> "archived";
      case EXCLUDED -> "excluded";
      default -> "skipped";
    };
    return new SyncResult(a.key(), action, a.reason(), o.size(), a.source() == null ? "" : a.source().etag(),
        a.target() == null ? "" : a.target().etag(), 0);
  }

  /** Counts each result by its action and renders its report line. */
  private static final class ReportFn extends DoFn<SyncResult, String> {
    private final java.util.Map<String, Counter> counters = new java.util.HashMap<>();

    ReportFn() {
      for (String a : ACTIONS) {
        counters.put(a, Counters.counter(counterName(a)));
      }
    }

    @ProcessElement
    public void process(@Element SyncResult r, OutputReceiver<String> out) {
      counters.get(r.action()).inc();
      out.output(r.toJson());
    }
  }

  static String counterName(String action) {
    return "sync_" + action.replace(' ', '_');
  }

  /** The summary at the end of a run. */
  static String summary(Plan plan, RunSummary s) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "s3-sync %s -> %s%s: done in %.1f s%n", plan.source(), plan.target(),
        plan.copy().dryRun() ? " (dry run)" : "", s.wallMillis() / 1000.0));
    sb.append(String.format(Locale.ROOT, "  %-11s %,d objects (%s) at the source, %,d (%s) at the target%n", "listed",
        s.get("source_objects_listed"), ByteSize.format(s.get("source_bytes_listed")),
        s.get("target_objects_listed"), ByteSize.format(s.get("target_bytes_listed"))));
    for (String a : ACTIONS) {
      long n = s.get(counterName(a));
      if (n > 0 || a.equals("copied") || a.equals("failed")) {
        String extra = a.equals("copied") ? " (" + ByteSize.format(s.get("bytes_copied")) + ")" : "";
        sb.append(String.format(Locale.ROOT, "  %-11s %,d objects%s%n", a, n, extra));
      }
    }
    double seconds = Math.max(0.001, s.wallMillis() / 1000.0);
    sb.append(String.format(Locale.ROOT, "  %-11s %,.1f objects/s, %s/s%s%n", "rate", s.get("objects_copied") / seconds,
        ByteSize.format((long) (s.get("bytes_copied") / seconds)),
        plan.maxBytesPerSecond() > 0 ? " (bound " + ByteSize.format((long) plan.maxBytesPerSecond()) + "/s)" : ""));
    if (plan.report() != null) {
      sb.append(String.format(Locale.ROOT, "  %-11s %s%n", "report", plan.report()));
    }
    return sb.toString();
  }
}
