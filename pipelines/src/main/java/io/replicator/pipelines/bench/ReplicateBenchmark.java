package io.replicator.pipelines.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench replicate}: generates the data, then runs a full load and a change batch natively
 * in DuckDB (the baseline) and through Replicator on each local runner, every run in its own
 * process, and prints wall time, rows/s, MB/s and peak RSS side by side.
 *
 * <p>Options: {@code --rows=N} (default 2,000,000), {@code --runners=direct,flink},
 * {@code --dir=local/bench}, {@code --scaling} (also 4×rows on the DirectRunner, the default).
 * Runs go through {@code run-local.sh}, as a user's do (its heap bound and class archive); embedded
 * Flink gets three quarters of the memory.
 */
public final class ReplicateBenchmark {
  private final PrintStream out;
  private final Path dir;
  private final long heapBytes;

  private ReplicateBenchmark(PrintStream out, Path dir) {
    this.out = out;
    this.dir = dir;
    long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    this.heapBytes = Math.min(ram * 3 / 4, 20L << 30);
  }


  public static int main(String[] args, PrintStream out) throws IOException, InterruptedException {
    long rows = 2_000_000;
    List<String> runners = List.of("direct", "flink");
    Path dir = Path.of("local", "bench");
    boolean scaling = false;
    for (String a : args) {
      if (a.startsWith("--rows=")) {
        rows = Long.parseLong(a.substring(7).replace("_", "").replace(",", ""));
      } else if (a.startsWith("--runners=")) {
        runners = List.of(a.substring(10).split(","));
      } else if (a.startsWith("--dir=")) {
        dir = Path.of(a.substring(6));
      } else if (a.equals("--scaling")) {
        scaling = true;
      } else {
        throw new IllegalArgumentException("bench replicate: unknown option '" + a
            + "' (expected --rows=N, --runners=direct,flink, --dir=DIR, --scaling)");
      }
    }
    if (rows < 1000) {
      throw new IllegalArgumentException("bench replicate: --rows must be at least 1000");
    }
    return new ReplicateBenchmark(out, dir).run(rows, runners, scaling);
  }

  private int run(long rows, List<String> runners, boolean scaling) throws IOException, InterruptedException {
    out.printf(Locale.ROOT, "Replicate benchmark, %s: %d cores, %.1f GB of memory; runs as run-local.sh starts them"
        + " (DirectRunner: 512 MB of heap per core), embedded Flink on up to %.1f GB%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(),
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9,
        heapBytes / 1e9);
    long t = System.nanoTime();
    BenchData data = BenchData.generate(dir.resolve("data-" + rows), rows);
    double snapshotMb = Files.size(data.snapshot) / 1e6;
    double changesMb = Files.size(data.changes) / 1e6;
    out.printf(Locale.ROOT, "data: %,d rows (%.1f MB JSONL), change batch %,d lines (%.1f MB), generated in %.1f s%n%n",
        rows, snapshotMb, data.changeLines, changesMb, (System.nanoTime() - t) / 1e9);

    Measured baseline = measure("DuckDB native", List.of(java(), "-cp", jar(), NativeBaseline.class.getName(),
        dir.resolve("native.duckdb").toString(), data.schema.toString(), data.snapshot.toString(), data.changes.toString()));
    Matcher m = Pattern.compile("load_ms=(\\d+) changes_ms=(\\d+)").matcher(baseline.output());
    if (!m.find()) {
      throw new IllegalStateException("the native baseline failed:\n" + baseline.output());
    }
    double nativeLoad = Long.parseLong(m.group(1)) / 1000.0;
    double nativeChanges = Long.parseLong(m.group(2)) / 1000.0;

    out.printf(Locale.ROOT, "%-28s %-9s %10s %8s %9s %10s %9s %9s%n", "engine", "stage", "wall", "rows/s", "MB/s",
        "peak RSS", "batches", "vs native");
    row("DuckDB native (SQL only)", "load", nativeLoad, rows, snapshotMb, baseline.peakRssKb(), "", 1);
    row("DuckDB native (SQL only)", "changes", nativeChanges, data.changeLines, changesMb, baseline.peakRssKb(), "", 1);
    // A user's first run after a build writes the JVM's class archive (run-local.sh); this one is not timed.
    List<String> empty = List.of("--snapshot=" + data.schema, "--snapshotFormat=csv");
    measure("warm-up", replicate(data, "direct", fresh(dir.resolve("startup")), empty));
    Measured startup = measure("start-up", replicate(data, "direct", fresh(dir.resolve("startup")), empty));
    Double directLoad = null;
    List<String> stageTimes = new ArrayList<>();
    for (String runner : runners) {
      String label = runner.equals("direct") ? "Replicator, DirectRunner" : "Replicator, embedded Flink";
      Path work = fresh(dir.resolve("run-" + runner));
      Measured load = measure(label, replicate(data, runner, work, List.of("--snapshot=" + data.snapshot, "--snapshotSequence=1")));
      Measured changes = measure(label, replicate(data, runner, work, List.of("--changes=" + data.changes)));
      row(label, "load", load.seconds(), rows, snapshotMb, load.peakRssKb(), batches(load), load.seconds() / nativeLoad);
      row(label, "changes", changes.seconds(), data.changeLines, changesMb, changes.peakRssKb(), batches(changes),
          changes.seconds() / nativeChanges);
      if (runner.equals("direct")) {
        directLoad = load.seconds();
      }
      stageTimes.add(String.format(Locale.ROOT, "%-28s load:    %s%n%-28s changes: %s%n", label, stageTime(load), "",
          stageTime(changes)));
    }
    out.printf(Locale.ROOT, "%nReplicator's wall times include JVM start-up and launch: %.1f s for an empty run.%n",
        startup.seconds());
    out.println("rows/s and MB/s are input rows and input JSONL per second of wall time; the native baseline runs the"
        + " same MERGE statements in one DuckDB process and reports SQL time only.");
    out.printf(Locale.ROOT, "%nWhere the time goes (each run's summary: thread CPU per input line, and wall time in the"
        + " warehouse's merges summed over batches merged side by side):%n");
    stageTimes.forEach(out::print);
    if (scaling && directLoad != null) {
      BenchData big = BenchData.generate(dir.resolve("data-" + rows * 4), rows * 4);
      Measured load = measure("direct 4x", replicate(big, "direct", fresh(dir.resolve("run-direct-4x")),
          List.of("--snapshot=" + big.snapshot, "--snapshotSequence=1")));
      out.printf(Locale.ROOT, "%nscaling on the DirectRunner: %,d rows in %.1f s, time(4N)/time(N) = %.2f, peak RSS %.2f GB%n",
          rows * 4, load.seconds(), load.seconds() / directLoad, load.peakRssKb() / 1e6);
      out.printf(Locale.ROOT, "%-28s load:    %s%n", "Replicator, DirectRunner 4x", stageTime(load));
    }
    return 0;
  }

  private void row(String engine, String stage, double seconds, long rows, double mb, long rssKb, String batches, double ratio) {
    out.printf(Locale.ROOT, "%-28s %-9s %9.1fs %8s %9.1f %9.2fG %9s %8.1fx%n", engine, stage, seconds,
        String.format(Locale.ROOT, "%,d", (long) (rows / seconds)), mb / seconds, rssKb / 1e6, batches, ratio);
  }

  /**
   * {@code work} emptied: a target left by an earlier benchmark would hold the same batches, which a
   * run then skips as already applied.
   */
  private static Path fresh(Path work) throws IOException {
    if (Files.exists(work)) {
      try (var paths = Files.walk(work)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return work;
  }

  /** The run summary's line on where the time went, as it printed it. */
  private static String stageTime(Measured r) {
    Matcher m = Pattern.compile("\\n  time +(.*)").matcher(r.output());
    return m.find() ? m.group(1) : "?";
  }

  private static String batches(Measured r) {
    Matcher m = Pattern.compile("staged +[\\d,]+ rows in (\\d+) batches").matcher(r.output());
    return m.find() ? m.group(1) : "?";
  }

  private List<String> replicate(BenchData data, String runner, Path work, List<String> input) {
    List<String> cmd = new ArrayList<>();
    // What a user runs: run-local.sh picks the JVM settings for the pipeline.
    if (Files.isExecutable(Path.of("run-local.sh"))) {
      cmd.add("./run-local.sh");
    } else {
      cmd.addAll(List.of(java(), "-jar", jar()));
    }
    cmd.addAll(List.of("replicate",
        "--table=spind_dly", "--keys=" + BenchData.KEYS, "--schema=" + data.schema,
        "--staging=" + work.resolve("staging"), "--warehouse=duckdb:" + work.resolve("w.duckdb")));
    if (runner.equals("flink")) {
      cmd.addAll(List.of("--runner=FlinkRunner", "--parallelism=" + Runtime.getRuntime().availableProcessors()));
    }
    cmd.addAll(input);
    return cmd;
  }

  /** Runs a process to its end, polling its peak resident set size; embedded Flink gets its heap. */
  private Measured measure(String engine, List<String> command) throws IOException, InterruptedException {
    boolean flink = command.contains("--runner=FlinkRunner");
    return Measured.run(engine, command, flink ? Map.of("JAVA_OPTS", "-Xmx" + (heapBytes >> 20) + "m") : Map.of());
  }

  private static String java() {
    return Measured.java();
  }

  private static String jar() {
    return Measured.jar();
  }
}
