package io.replicator.pipelines;

import io.replicator.s3.ListObjects;
import io.replicator.s3.SyncCounters;
import io.replicator.source.InputFormat;
import io.replicator.warehouse.spi.Warehouse;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkDetachedRunnerResult;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;

/**
 * The commands of the command line, {@code PIPELINE --option=value ...}: each reads its options,
 * runs, and returns its exit code; {@code io.replicator.cli.Main} adds the benchmarks.
 *
 * <p>Exit codes: 0 done (rejected input is reported, not an error), 1 the run failed, 2 bad options,
 * 3 verification found source and target different.
 */
public final class Commands {
  /** A command the caller adds: its arguments after its name, where to print; returns the exit code. */
  public interface Command {
    int run(String[] args, PrintStream out) throws java.io.IOException, InterruptedException;
  }

  static final String USAGE = """
      usage: replicator PIPELINE [--option=value ...]

      pipelines:
        replicate        replicate a table into a warehouse (snapshot and/or change events)
        verify           compare a snapshot source (--jdbcUrl or --snapshot) with the target table
        s3-sync          copy objects between S3 buckets with aws s3 sync semantics (--source, --target)
        sql              query a local DuckDB warehouse: sql [--warehouse=duckdb:PATH] "SELECT ..."
        bench replicate  benchmark against DuckDB doing the same job natively (--rows=N, --runners=direct,flink)
        bench throughput reload a database table under --maxThroughput bounds, print rate against bound
        bench s3-sync    sync a generated bucket with aws s3 sync, rclone and s3-sync side by side
        generate-sample  write the bundled spind_dly sample (--out=DIR)

      replicate --help lists its options. Progress goes to stderr every 5 s while a run works
      (--progressEvery=30s sets how often); --quiet turns it off.""";

  /** The pipeline to run when the arguments are options only (set in a Flex Template image). */
  public static final String PIPELINE_ENV = "REPLICATOR_PIPELINE";

  private Commands() {}

  /** Runs a command, one of {@code more} included, and returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, Command> more) {
    try {
      return runReportingFailures(args, out, err, more);
    } finally {
      OptionsRegistry.commandFinished();
    }
  }

  private static int runReportingFailures(String[] args, PrintStream out, PrintStream err, Map<String, Command> more) {
    try {
      return dispatch(args, out, err, more);
    } catch (java.io.IOException e) {
      err.println("replicator: failed: " + oneLine(e.getMessage()));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("replicator: interrupted");
      return 1;
    }
  }

  private static int dispatch(String[] args, PrintStream out, PrintStream err, Map<String, Command> more)
      throws java.io.IOException, InterruptedException {
    if (args.length > 0 && args[0].startsWith("--") && System.getenv(PIPELINE_ENV) != null) {
      // A Flex Template passes options only; its image names the pipeline.
      String[] withPipeline = new String[args.length + 1];
      withPipeline[0] = System.getenv(PIPELINE_ENV);
      System.arraycopy(args, 0, withPipeline, 1, args.length);
      args = withPipeline;
    }
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    boolean quiet = Arrays.stream(rest).anyMatch(a -> a.equals("--quiet") || a.equals("--quiet=true"));
    Duration every = ProgressLine.EVERY;
    try {
      // Refused when repeated, as the pipeline's options are (checked once these are taken out).
      rejectRepeatedOptions(Arrays.stream(rest).filter(Commands::consoleOption).toArray(String[]::new));
      for (String a : rest) {
        if (a.startsWith("--progressEvery=")) {
          every = DurationOption.parse(a.substring("--progressEvery=".length()), "--progressEvery");
        }
      }
    } catch (OptionsException e) {
      err.println("replicator: error: " + e.getMessage());
      return 2;
    }
    // --quiet and --progressEvery are the console's, not the pipeline's: no Beam options (nor template
    // parameters).
    rest = Arrays.stream(rest).filter(a -> !consoleOption(a)).toArray(String[]::new);
    PrintStream progress = quiet ? null : err;
    try {
      switch (args[0]) {
        case "replicate":
          return replicate(rest, out, progress, every);
        case "verify":
          return verify(rest, out);
        case "s3-sync":
          return s3Sync(rest, out, progress, every);
        case "sql":
          return SqlCommand.main(rest, out);
        case "generate-sample":
          return SampleData.main(rest, out);
        default:
          if (more.containsKey(args[0])) {
            return more.get(args[0]).run(rest, out);
          }
          err.println("replicator: unknown pipeline '" + args[0] + "'\n" + USAGE);
          return 2;
      }
    } catch (OptionsException | IllegalArgumentException e) {
      err.println("replicator: error: " + oneLine(e.getMessage()));
      return 2;
    } catch (RuntimeException e) {
      err.println("replicator: failed: " + oneLine(rootMessage(e)));
      return 1;
    }
  }

  /** The options of {@code args}, or null after printing the options' help for {@code --help}. */
  public static ReplicateOptions options(String[] args, PrintStream out) {
    return options("replicate", args, out);
  }

  private static ReplicateOptions options(String command, String[] args, PrintStream out) {
    if (OptionsHelp.asked(args)) {
      OptionsHelp.print(command, ReplicateOptions.class, args, out);
      return null;
    }
    rejectRepeatedOptions(args);
    if (Arrays.stream(args).anyMatch(a -> a.startsWith("--warehouse=duckdb:"))) {
      loadDuckDbAside();
    }
    OptionsRegistry.prepareFor(args, ReplicateOptions.class);
    checkOptionValues(args, ReplicateOptions.class);
    ReplicateOptions options = PipelineOptionsFactory.fromArgs(args).as(ReplicateOptions.class);
    tuneDirectRunner(options, args);
    JobJar.stageNothingWhenOnCluster(options);
    skipAwsRegionLookup(options, args, List.of(args).stream().anyMatch(a -> a.contains("s3://")));
    return options;
  }

  /**
   * Loads DuckDB's native library on a thread of its own. DuckDB unpacks it (72 MB) from the jar
   * in every process, the first time it is opened, which a run with a DuckDB warehouse does right
   * after its options are parsed: this way the second core unpacks while the first parses. A
   * failure is left for the run to meet and report where it opens DuckDB (the JVM names this
   * thread's exception as the cause).
   */
  private static void loadDuckDbAside() {
    aside("duckdb-native-load", () -> {
      try {
        Class.forName("org.duckdb.DuckDBNative", true, Commands.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        // Met again, and reported, where the run opens DuckDB.
      }
    });
  }

  /**
   * Runs {@code work} on a daemon thread of its own, while the command's thread parses its
   * options: work the run would otherwise do on its one thread later. A failure is left for the
   * run to meet and report where it does that work itself.
   */
  private static void aside(String name, Runnable work) {
    Thread thread = new Thread(() -> {
      try {
        work.run();
      } catch (LinkageError | RuntimeException e) {
        // Met again, and reported, by the run.
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * @param progress where progress lines go while the run works, or null for none ({@code --quiet})
   * @param every how often they go ({@code --progressEvery})
   */
  private static int replicate(String[] args, PrintStream out, PrintStream progress, Duration every) {
    ReplicateOptions options = options(args, out);
    if (options == null) {
      return 0;
    }
    long start = System.currentTimeMillis();
    long collectedAtStart = RunSummary.collectionMillis();
    if (StreamPlan.streaming(options) || StreamPlan.slotCatchUp(options)) {
      return replicateStream(options, out, progress != null, start);
    }
    // The DirectRunner's run() returns at once, so that this process can tell how far it got.
    options.as(DirectOptions.class).setBlockOnRun(progress == null);
    try (ReplicatePipeline.Launched run = ReplicatePipeline.run(options)) {
      if (!Launch.waits(options)) {
        out.println(Launch.describe("replicate", run.table(), run.result(), options));
        return 0;
      }
      if (progress != null) {
        ProgressLine.of(run, start).await(run.result(), progress, every);
      }
      run.result().waitUntilFinish();
      RunSummary summary = RunSummary.of(run.result(), System.currentTimeMillis() - start);
      out.print(summary.render(run, collectedAtStart));
      if (run.plan().changes().format() == InputFormat.DEAD_LETTERS) {
        out.print(DeadLetterRedrive.setAside(run.plan().changes().changes(), summary.deadLetterFiles()));
      }
      if (run.plan().slot() != null) {
        run.plan().slot().dropIfAsked(out);
      }
      if (Boolean.TRUE.equals(options.getVerify())) {
        VerifyPipeline.Outcome verified = VerifyPipeline.run(options, run.plan(), run.jdbc());
        out.print(verified.render());
        return verified.matches() ? 0 : VerifyPipeline.EXIT_DIFFERENT;
      }
    }
    return 0;
  }

  /** Starts a stream; on this machine, runs it until stopped or for --streamFor, then summarises. */
  private static int replicateStream(ReplicateOptions options, PrintStream out, boolean printWindows, long start) {
    ReplicateStreamPipeline.Launched run = ReplicateStreamPipeline.run(options, printWindows);
    if (!Launch.waits(options)) {
      out.println(Launch.describe(run.once() ? "replicate" : "replicate --streaming", run.tableNames(), run.result(),
          options));
      if (!run.readWhole().isEmpty()) {
        out.println("  first reads in the job, before it reads the slot: " + String.join(", ", run.readWhole()));
      }
      return 0;
    }
    if (run.once()) {
      run.result().waitUntilFinish();
      RunSummary summary = RunSummary.of(run.result(), System.currentTimeMillis() - start);
      Long confirmed;
      try {
        confirmed = run.plan().source().slot().slot().confirmedPosition();
      } catch (java.sql.SQLException e) {
        throw new SourceException(e.getMessage());
      }
      run.plan().source().slot().dropIfAsked(out);
      out.print(summary.renderStream(run, confirmed));
      return 0;
    }
    out.println("replicate --streaming: " + run.tableNames() + " from " + run.plan().source().describe()
        + ", merged every " + run.plan().source().loadInterval().getMillis() / 1000.0 + " s"
        + (run.plan().source().streamFor() == null ? "; stop with Ctrl-C" : " for " + run.plan().source().streamFor().getMillis() / 1000 + " s"));
    Thread summary = new Thread(() -> out.print(RunSummary.of(run.result(), System.currentTimeMillis() - start)
        .renderStream(run)));
    if (run.plan().source().streamFor() == null) {
      Runtime.getRuntime().addShutdownHook(summary); // Ctrl-C: say what was done before stopping.
      run.result().waitUntilFinish();
      return 0;
    }
    PipelineResult.State state = run.result().waitUntilFinish(run.plan().source().streamFor());
    if (state == null || !state.isTerminal()) {
      try {
        run.result().cancel();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("stopping the stream failed: " + e.getMessage(), e);
      }
    }
    if (run.plan().source().slot() != null) {
      run.plan().source().slot().dropIfAsked(out);
    }
    if (run.result() instanceof FlinkDetachedRunnerResult) {
      Map<String, Long> mergedUpTo = new TreeMap<>();
      try (Warehouse w = run.plan().warehouse().spec().open()) {
        run.tables().forEach(t -> mergedUpTo.put(t.name(), w.maxSequenceNum(t)));
      }
      out.print(RunSummary.renderFlinkStream(run, System.currentTimeMillis() - start, mergedUpTo));
    } else {
      summary.run();
    }
    return 0;
  }

  private static int s3Sync(String[] args, PrintStream out, PrintStream progress, Duration every) {
    if (OptionsHelp.asked(args)) {
      OptionsHelp.print("s3-sync", S3SyncOptions.class, args, out);
      return 0;
    }
    rejectRepeatedOptions(args);
    if (Arrays.stream(args).anyMatch(a -> a.contains("s3://"))) {
      aside("s3-request-classes", ListObjects::initializeClasses);
    }
    OptionsRegistry.prepareFor(args, S3SyncOptions.class, S3SyncPipeline.beamPathArguments(args));
    checkOptionValues(args, S3SyncOptions.class);
    S3SyncOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(S3SyncOptions.class);
    tuneDirectRunner(options, args);
    JobJar.stageNothingWhenOnCluster(options);
    // The buckets are reached through the sync's own clients; Beam's S3 filesystem only writes a report.
    skipAwsRegionLookup(options, args, options.getReport() != null && options.getReport().startsWith("s3://"));
    S3SyncPipeline.Plan plan = S3SyncPipeline.Plan.of(options, args);
    long start = System.currentTimeMillis();
    options.as(DirectOptions.class).setBlockOnRun(progress == null);
    PipelineResult result = S3SyncPipeline.run(options, plan);
    if (!Launch.waits(options)) {
      out.println(Launch.describe("s3-sync", plan.source().describe() + " -> " + plan.target().describe(), result, options));
      return 0;
    }
    if (progress != null) {
      ProgressLine.ofSync("s3-sync " + plan.source().describe() + " -> " + plan.target().describe(), start).await(result, progress, every);
    }
    result.waitUntilFinish();
    RunSummary summary = RunSummary.of(result, System.currentTimeMillis() - start);
    out.print(S3SyncPipeline.summary(plan, summary));
    return summary.get(SyncCounters.action("failed")) > 0 ? 1 : 0;
  }

  private static int verify(String[] args, PrintStream out) {
    ReplicateOptions options = options("verify", args, out);
    if (options == null) {
      return 0;
    }
    VerifyPipeline.Outcome verified = VerifyPipeline.run(options);
    out.print(verified.render());
    return verified.matches() ? 0 : VerifyPipeline.EXIT_DIFFERENT;
  }

  private static boolean consoleOption(String arg) {
    return arg.equals("--quiet") || arg.startsWith("--quiet=") || arg.startsWith("--progressEvery=");
  }

  /** Every option of ours takes one value: a second one is a mistake, not a list. */
  static void rejectRepeatedOptions(String[] args) {
    java.util.Map<String, String> seen = new java.util.HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.startsWith("--include=") || arg.startsWith("--exclude=")) {
        continue; // filters are rules in order, repeated on purpose
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value = eq < 0 ? "" : arg.substring(eq + 1);
      String earlier = seen.put(name, value);
      if (earlier != null) {
        throw new OptionsException(name + " is given twice ('" + earlier + "' and '" + value + "')");
      }
    }
  }

  /**
   * Every option is one Beam knows, with a value of its type, before Beam reads them: Beam would
   * answer an unknown name with "missing a property" and a number with "Cannot deserialize value of
   * type java.lang.Long". Only a true/false option stands alone: Beam reads a bare {@code --table}
   * as the text "true" (and would create a table named true), so a bare or empty option of any
   * other type is refused, as is one whose value is another option ({@code --table --keys=id}
   * written as one argument).
   */
  static void checkOptionValues(String[] args, Class<? extends PipelineOptions> options) {
    // The pipeline's own options first, so a near miss is matched to one of them before a runner's.
    java.util.Map<String, Class<?>> types = new java.util.LinkedHashMap<>(new java.util.TreeMap<>(OptionsRegistry.propertyTypes(options)));
    for (Class<? extends PipelineOptions> registered : PipelineOptionsFactory.getRegisteredOptions()) {
      new java.util.TreeMap<>(OptionsRegistry.propertyTypes(registered)).forEach(types::putIfAbsent);
    }
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        continue;
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      Class<?> type = types.get(name);
      if (type == null) {
        String near = closest(name, types.keySet());
        throw new OptionsException("--" + name + " is not an option" + (near == null ? "" : "; did you mean --" + near + "?")
            + " (--help lists them)");
      }
      String value = eq < 0 ? null : arg.substring(eq + 1);
      if (type == boolean.class || type == Boolean.class) {
        if (value != null && !value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
          throw new OptionsException("--" + name + "='" + value + "': expected true or false");
        }
        continue;
      }
      if (value == null) {
        throw new OptionsException("--" + name + " needs a value: --" + name + "=...");
      }
      if (value.isBlank()) {
        throw new OptionsException("--" + name + " is given without a value: --" + name + "=...");
      }
      String number = type == Long.class || type == long.class || type == Integer.class || type == int.class
          ? "a whole number" : type == Double.class || type == double.class ? "a number" : null;
      if (number != null) {
        try {
          if (number.equals("a number")) {
            Double.parseDouble(value.trim());
          } else if (type == Integer.class || type == int.class) {
            Integer.parseInt(value.trim());
          } else {
            Long.parseLong(value.trim());
          }
        } catch (NumberFormatException e) {
          throw new OptionsException("--" + name + "='" + value + "': expected " + number);
        }
      }
    }
  }

  /** The known name nearest to a mistyped one (at most two edits, or a different case), or null. */
  private static String closest(String name, java.util.Collection<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = k.equalsIgnoreCase(name) ? 0 : editDistance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Edits (insert, delete, replace, swap two neighbours) that turn {@code a} into {@code b}. */
  private static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * Local runs do not need the DirectRunner's immutability and encodability checks (tests keep
   * them), and use every core. Options given on the command line win.
   */
  private static void tuneDirectRunner(org.apache.beam.sdk.options.PipelineOptions options, String[] args) {
    DirectOptions direct = options.as(DirectOptions.class);
    String given = String.join(" ", args);
    if (!given.contains("--enforceImmutability")) {
      direct.setEnforceImmutability(false);
    }
    if (!given.contains("--enforceEncodability")) {
      direct.setEnforceEncodability(false);
    }
    if (!given.contains("--targetParallelism")) {
      direct.setTargetParallelism(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
  }

  /**
   * Beam's S3 filesystem looks up its region when a pipeline is created, whether or not a path
   * is on S3, and away from EC2 that lookup waits on the instance metadata endpoint (0.75 s here).
   * A run that opens no {@code s3://} path through Beam gets a region set instead, so no lookup;
   * one whose arguments name no such path does not set that file system up at all.
   */
  private static void skipAwsRegionLookup(org.apache.beam.sdk.options.PipelineOptions options, String[] args,
      boolean usesS3Paths) {
    if (usesS3Paths || OptionsRegistry.withoutS3FileSystem()
        || List.of(args).stream().anyMatch(a -> a.startsWith("--awsRegion="))) {
      return;
    }
    options.as(org.apache.beam.sdk.io.aws2.options.AwsOptions.class)
        .setAwsRegion(software.amazon.awssdk.regions.Region.US_EAST_1);
  }

  /**
   * What to tell the user about a failed run: the message of our own exception in the cause chain
   * (it names the table, batch or option), else the innermost message.
   */
  static String rootMessage(Throwable e) {
    String innermost = e.toString();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().startsWith("io.replicator") && t.getMessage() != null) {
        return t.getMessage();
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        innermost = t.getMessage();
      }
    }
    return innermost;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ');
  }
}
