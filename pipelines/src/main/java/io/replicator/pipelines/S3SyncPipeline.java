package io.replicator.pipelines;

import io.replicator.common.ByteSize;
import io.replicator.s3.AssumedRole;
import io.replicator.s3.CopySettings;
import io.replicator.s3.Directory;
import io.replicator.s3.KeyFilter;
import io.replicator.s3.ListObjects;
import io.replicator.s3.PlanSync;
import io.replicator.s3.S3Endpoint;
import io.replicator.s3.S3Errors;
import io.replicator.s3.S3Location;
import io.replicator.s3.S3SyncException;
import io.replicator.s3.SyncCounters;
import io.replicator.s3.SyncObjects;
import io.replicator.s3.SyncSide;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.values.PCollection;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The {@code s3-sync} pipeline (between buckets, or a directory and a bucket, either way): its
 * options checked into a plan, the flow ({@link SyncObjects}),
 * the report and the summary.
 */
public final class S3SyncPipeline {
  private S3SyncPipeline() {}

  /** The options checked and parsed; {@code args} are the raw arguments, for the order of the filters. */
  record Plan(SyncSide source, SyncSide target, PlanSync.Compare compare, KeyFilter filter, boolean delete,
      long maxDelete, CopySettings copy, String report, double maxBytesPerSecond) {
    static Plan of(S3SyncOptions o, String[] args) {
      // A side on gs:// (or another Beam file system) is checked against the file systems the
      // options set up: set them up first, as in a fresh process nothing else has.
      FileSystems.setDefaultPipelineOptions(o);
      boolean pathStyle = Boolean.TRUE.equals(o.getPathStyle());
      SyncSide source = side(o, "--source", o.getSource(), new S3Endpoint(blank(o.getSourceEndpoint()),
          blank(o.getSourceRegion()), pathStyle, blank(o.getSourceProfile()),
          credentialsFile("--sourceCredentialsFile", o.getSourceCredentialsFile()),
          role(o, "--sourceRoleArn", o.getSourceRoleArn(), o.getSourceProfile(), o.getSourceCredentialsFile())),
          "--sourceEndpoint", o.getSourceEndpoint(), "--sourceRegion", o.getSourceRegion(), "--sourceProfile",
          o.getSourceProfile(), "--sourceCredentialsFile", o.getSourceCredentialsFile(), "--sourceRoleArn",
          o.getSourceRoleArn());
      SyncSide target = side(o, "--target", o.getTarget(), new S3Endpoint(blank(o.getTargetEndpoint()),
          blank(o.getTargetRegion()), pathStyle, blank(o.getTargetProfile()),
          credentialsFile("--targetCredentialsFile", o.getTargetCredentialsFile()),
          role(o, "--targetRoleArn", o.getTargetRoleArn(), o.getTargetProfile(), o.getTargetCredentialsFile())),
          "--targetEndpoint", o.getTargetEndpoint(), "--targetRegion", o.getTargetRegion(), "--targetProfile",
          o.getTargetProfile(), "--targetCredentialsFile", o.getTargetCredentialsFile(), "--targetRoleArn",
          o.getTargetRoleArn());
      if (blank(o.getSourceRoleArn()) == null && blank(o.getTargetRoleArn()) == null
          && blank(o.getStsEndpoint()) != null) {
        throw new OptionsException("--stsEndpoint is where roles are assumed; give --sourceRoleArn or --targetRoleArn");
      }
      if (overlap(source, target)) {
        throw new OptionsException("--source=" + source.describe() + " and --target=" + target.describe()
            + " overlap; sync between separate prefixes");
      }
      PlanSync.Compare compare = parse(() -> PlanSync.Compare.parse(o.getCompare()));
      parse(() -> {
        SyncObjects.checkCompare(compare, source, target);
        return compare;
      });
      CopySettings copy = parse(() -> new CopySettings(ByteSize.parse(o.getMultipartThreshold()),
          ByteSize.parse(o.getMultipartChunkSize()), blank(o.getStorageClass()), blank(o.getAcl()), blank(o.getSse()),
          blank(o.getSseKmsKeyId()), Boolean.TRUE.equals(o.getDryRun()), o.getCopiesInFlight()));
      if (copy.sse() != null && !copy.sse().equals("AES256") && !copy.sse().equals("aws:kms")) {
        throw new OptionsException("--sse='" + copy.sse() + "': expected AES256 or aws:kms");
      }
      if (copy.kmsKeyId() != null && !"aws:kms".equals(copy.sse())) {
        throw new OptionsException("--sseKmsKeyId needs --sse=aws:kms");
      }
      if (target instanceof Directory) {
        for (String[] set : new String[][] {{"--storageClass", o.getStorageClass()}, {"--acl", o.getAcl()},
            {"--sse", o.getSse()}}) {
          if (blank(set[1]) != null) {
            throw new OptionsException(set[0] + " applies to objects written to S3; --target=" + target.describe()
                + " is a directory");
          }
        }
      }
      boolean delete = Boolean.TRUE.equals(o.getDelete());
      long maxDelete = o.getMaxDelete() == null ? -1 : o.getMaxDelete();
      if (maxDelete >= 0 && !delete) {
        throw new OptionsException("--maxDelete bounds --delete, which is not given");
      }
      double maxThroughput = blank(o.getMaxThroughput()) == null ? 0
          : parse(() -> io.replicator.common.Throughput.bytesPerSecond(o.getMaxThroughput()));
      return new Plan(source, target, compare, filter(o, args), delete, maxDelete, copy, blank(o.getReport()),
          maxThroughput);
    }

    /**
     * One side: an {@code s3://} location at its endpoint, or a directory (a local path, or a URI of
     * another filesystem such as {@code gs://}), for which the S3 options of that side are refused.
     */
    private static SyncSide side(S3SyncOptions o, String option, String value, S3Endpoint endpoint,
        String... s3Options) {
      if (value != null && value.strip().startsWith("s3://")) {
        S3Location location = parse(() -> S3Location.parse(option, value.strip()));
        checkEndpoint(s3Options[0], s3Options[1]);
        return new SyncSide.Bucket(endpoint, location);
      }
      Directory directory = parse(() -> Directory.parse(option, value));
      for (int i = 0; i < s3Options.length; i += 2) {
        if (blank(s3Options[i + 1]) != null) {
          throw new OptionsException(s3Options[i] + " applies to an s3:// side; " + option + "=" + value
              + " is a directory");
        }
      }
      if (directory.isLocal() && Launch.onDataflow(o)) {
        throw new OptionsException(option + "=" + value + " is a directory on this machine, which Dataflow's"
            + " workers cannot see: use gs:// or s3://, or run locally");
      }
      return directory;
    }

    /**
     * The role a side is assumed as, or null. With the Google identity the side's own AWS
     * credentials would go unused, so naming them is refused rather than ignored.
     */
    private static AssumedRole role(S3SyncOptions o, String option, String arn, String profile, String file) {
      if (blank(arn) == null) {
        return null;
      }
      AssumedRole.Identity identity = parse(() -> AssumedRole.Identity.parse("--roleIdentity",
          o.getRoleIdentity() == null ? "auto" : o.getRoleIdentity()));
      if (identity == AssumedRole.Identity.GOOGLE && (blank(profile) != null || blank(file) != null)) {
        throw new OptionsException("--roleIdentity=google assumes " + option + " with the Google service account's"
            + " token, so the side's profile or credentials file would go unused: drop it, or use --roleIdentity=aws");
      }
      checkEndpoint("--stsEndpoint", o.getStsEndpoint());
      String audience = blank(o.getRoleAudience()) == null ? AssumedRole.DEFAULT_AUDIENCE : blank(o.getRoleAudience());
      return new AssumedRole(parse(() -> AssumedRole.checkArn(option, arn)), identity, audience,
          blank(o.getStsEndpoint()), null);
    }

    /** Whether one side lies within the other (a sync would copy into what it lists). */
    private static boolean overlap(SyncSide a, SyncSide b) {
      if (a instanceof SyncSide.Bucket x && b instanceof SyncSide.Bucket y) {
        // The same server's bucket is the same bucket whoever's credentials read it.
        return java.util.Objects.equals(x.endpoint().endpoint(), y.endpoint().endpoint())
            && x.location().bucket().equals(y.location().bucket())
            && (x.location().prefix().startsWith(y.location().prefix())
                || y.location().prefix().startsWith(x.location().prefix()));
      }
      return a instanceof Directory x && b instanceof Directory y
          && (x.root().startsWith(y.root()) || y.root().startsWith(x.root()));
    }

    /** A credentials file must exist where the launcher can see it (workers read it again). */
    private static String credentialsFile(String option, String value) {
      String file = blank(value);
      if (file == null) {
        return null;
      }
      try {
        if (org.apache.beam.sdk.io.FileSystems.match(file, org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW)
            .metadata().isEmpty()) {
          throw new OptionsException(option + "=" + file + ": no such file");
        }
      } catch (java.io.IOException | IllegalArgumentException e) {
        throw new OptionsException(option + "=" + file + ": cannot be read (" + e.getMessage() + ")");
      }
      return file;
    }

    /** An endpoint is an http(s) URL with a host, as the AWS SDK needs it. */
    private static void checkEndpoint(String option, String value) {
      if (blank(value) == null) {
        return;
      }
      java.net.URI uri;
      try {
        uri = new java.net.URI(value.strip());
      } catch (java.net.URISyntaxException e) {
        uri = null;
      }
      if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new OptionsException(option + "='" + value + "': expected an http:// or https:// URL with a host,"
            + " e.g. https://s3.eu-central-1.amazonaws.com or http://localhost:9000");
      }
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

  /**
   * The arguments whose paths Beam's file systems open: all but an {@code s3://} source or target,
   * which the sync's own clients read. A local sync between buckets then sets up no Beam S3 file
   * system it would not use (104 classes fewer loaded; an empty sync's time within its spread).
   */
  static String[] beamPathArguments(String[] args) {
    return java.util.Arrays.stream(args).filter(a -> !((a.startsWith("--source=") || a.startsWith("--target="))
        && a.substring(a.indexOf('=') + 1).strip().startsWith("s3://"))).toArray(String[]::new);
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

  /**
   * Lists one key of each bucket before anything runs (a missing bucket or bad credentials say so
   * now), and checks a local source directory exists (one on another filesystem is checked by the
   * job's listing, where the workers' credentials are).
   */
  static void checkReachable(Plan plan) {
    for (SyncSide side : List.of(plan.source(), plan.target())) {
      String option = side == plan.source() ? "--source" : "--target";
      if (side instanceof SyncSide.Bucket b) {
        try {
          ListObjects.probe(b.endpoint(), b.location());
        } catch (SdkException e) {
          throw new S3SyncException(option + "=" + b.location() + ": " + S3Errors.describe("listing", b.endpoint(),
              e), e);
        }
      } else if (side == plan.source() && ((Directory) side).isLocal()) {
        boolean exists;
        try {
          exists = ((Directory) side).exists();
        } catch (java.io.IOException e) {
          throw new S3SyncException(option + "=" + side.describe() + ": cannot be read (" + e.getMessage() + ")", e);
        }
        if (!exists) {
          throw new OptionsException(option + "=" + side.describe() + ": no such directory");
        }
      }
    }
  }

  static PipelineResult run(S3SyncOptions options, Plan plan) {
    // Step 0: both buckets answer (a missing bucket or bad credentials say so before the job).
    checkReachable(plan);
    // Step 1: list, plan, copy, delete, report.
    SyncObjects sync = SyncObjects.between(plan.source(), plan.target(), plan.copy()).comparing(plan.compare())
        .filtering(plan.filter());
    if (Launch.onDataflow(options)) {
      // Dataflow serves a map side input from an indexed file: a worker never holds the target's listing whole.
      sync = sync.lookingUpTargetsByKey();
    }
    if (plan.delete()) {
      sync = sync.deleting(plan.maxDelete());
    }
    if (plan.maxBytesPerSecond() > 0) {
      sync = sync.withMaxThroughput(plan.maxBytesPerSecond());
    }
    Pipeline p = Pipeline.create(options);
    PCollection<String> report = p.apply("Sync", sync);
    // Step 2: the report, one line per key.
    if (plan.report() != null) {
      report.apply("Write report", TextIO.write().to(plan.report()).withoutSharding());
    }
    return p.run();
  }

  /** The summary at the end of a run. */
  static String summary(Plan plan, RunSummary s) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "s3-sync %s -> %s%s: done in %.1f s%n", plan.source().describe(),
        plan.target().describe(),
        plan.copy().dryRun() ? " (dry run)" : "", s.wallMillis() / 1000.0));
    sb.append(String.format(Locale.ROOT, "  %-11s %,d objects (%s) at the source, %,d (%s) at the target%n", "listed",
        s.get(SyncCounters.objectsListed("source")), ByteSize.format(s.get(SyncCounters.bytesListed("source"))),
        s.get(SyncCounters.objectsListed("target")), ByteSize.format(s.get(SyncCounters.bytesListed("target")))));
    for (String a : SyncObjects.ACTIONS) {
      long n = s.get(SyncCounters.action(a));
      if (n > 0 || a.equals("copied") || a.equals("failed")) {
        String extra = a.equals("copied") ? " (" + ByteSize.format(s.get(SyncCounters.BYTES_COPIED)) + ")" : "";
        sb.append(String.format(Locale.ROOT, "  %-11s %,d objects%s%n", a, n, extra));
      }
    }
    double seconds = Math.max(0.001, s.wallMillis() / 1000.0);
    sb.append(String.format(Locale.ROOT, "  %-11s %,.1f objects/s, %s/s%s%n", "rate", s.get(SyncCounters.OBJECTS_COPIED) / seconds,
        ByteSize.format((long) (s.get(SyncCounters.BYTES_COPIED) / seconds)),
        plan.maxBytesPerSecond() > 0 ? " (bound " + ByteSize.format((long) plan.maxBytesPerSecond()) + "/s)" : ""));
    if (plan.report() != null) {
      sb.append(String.format(Locale.ROOT, "  %-11s %s%n", "report", plan.report()));
    }
    return sb.toString();
  }
}
