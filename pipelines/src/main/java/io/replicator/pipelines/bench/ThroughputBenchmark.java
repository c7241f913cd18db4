package io.replicator.pipelines.bench;

import io.replicator.common.ByteSize;
import io.replicator.common.Throughput;
import io.replicator.pipelines.Commands;
import io.replicator.pipelines.ReplicateOptions;
import io.replicator.pipelines.ReplicatePipeline;
import io.replicator.pipelines.RunSummary;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench throughput}: reloads one database table into a scratch DuckDB file, first without a
 * bound, then under each {@code --maxThroughput} bound, and prints the rate each run read the
 * source at against its bound. The bound holds when the rate is within 10% of it.
 *
 * <pre>
 * ./run-local.sh bench throughput --jdbcUrl=jdbc:postgresql://db:5432/finance --jdbcTable=public.spind_dly \
 *     --jdbcUser=reader --jdbcPasswordEnv=PGPASSWORD --bounds=5MB/s,10MB/s
 * </pre>
 *
 * <p>Without {@code --bounds}, the bounds are half and a quarter of the unbounded rate. Every other
 * option goes to {@code replicate} as it is.
 */
public final class ThroughputBenchmark {
  private ThroughputBenchmark() {}

  /** One measured reload. */
  record Run(String bound, double boundBytesPerSecond, long rows, long bytes, double bytesPerSecond, double seconds) {
    /** The rate over the bound, or NaN without a bound. */
    double ratio() {
      return boundBytesPerSecond > 0 ? bytesPerSecond / boundBytesPerSecond : Double.NaN;
    }

    boolean holds() {
      return boundBytesPerSecond <= 0 || Math.abs(ratio() - 1) <= 0.10;
    }
  }

  public static int main(String[] args, PrintStream out) throws IOException {
    List<String> bounds = new ArrayList<>();
    Path dir = Path.of("local", "bench", "throughput");
    List<String> replicate = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--bounds=")) {
        for (String b : a.substring("--bounds=".length()).split(",")) {
          Throughput.bytesPerSecond(b.trim()); // refuse a bad bound before anything runs
          bounds.add(b.trim());
        }
      } else if (a.startsWith("--dir=")) {
        dir = Path.of(a.substring("--dir=".length()));
      } else if (a.startsWith("--table=") || a.startsWith("--warehouse=") || a.startsWith("--staging=")
          || a.startsWith("--maxThroughput=") || a.startsWith("--snapshotMode=")) {
        throw new IllegalArgumentException("bench throughput: " + a.substring(0, a.indexOf('='))
            + " is the benchmark's to set");
      } else {
        replicate.add(a);
      }
    }
    if (replicate.stream().noneMatch(a -> a.startsWith("--jdbcUrl="))) {
      throw new IllegalArgumentException("bench throughput: give the source, e.g. --jdbcUrl=jdbc:postgresql://host/db"
          + " --jdbcTable=public.t (and --bounds=5MB/s,10MB/s)");
    }
    Files.createDirectories(dir);
    out.printf(Locale.ROOT, "Throughput bound benchmark, %s: %d cores, %.1f GB of memory; reloads into %s%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(),
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9,
        dir.resolve("throughput.duckdb"));

    List<Run> runs = new ArrayList<>();
    Run free = reload(replicate, dir, null, out);
    runs.add(free);
    if (bounds.isEmpty()) {
      bounds.add(ByteSize.format((long) (free.bytesPerSecond() / 2)).replace(" ", "") + "/s");
      bounds.add(ByteSize.format((long) (free.bytesPerSecond() / 4)).replace(" ", "") + "/s");
    }
    for (String b : bounds) {
      runs.add(reload(replicate, dir, b, out));
    }
    out.printf(Locale.ROOT, "%n%-12s %10s %12s %12s %8s %8s  %s%n", "bound", "rows", "read", "rate", "ratio",
        "wall s", "within 10%");
    boolean allHold = true;
    for (Run r : runs) {
      out.printf(Locale.ROOT, "%-12s %,10d %12s %10s/s %8s %8.1f  %s%n", r.bound(), r.rows(), ByteSize.format(r.bytes()),
          ByteSize.format((long) r.bytesPerSecond()), Double.isNaN(r.ratio()) ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio()),
          r.seconds(), r.boundBytesPerSecond() > 0 ? (r.holds() ? "yes" : "NO") : "-");
      allHold &= r.holds();
    }
    out.println(allHold ? "every bound held within 10%" : "a bound did not hold within 10%");
    return 0;
  }

  /** One reload of the table into the scratch database, under {@code bound} (null: none). */
  private static Run reload(List<String> replicate, Path dir, String bound, PrintStream out) {
    List<String> args = new ArrayList<>(replicate);
    args.add("--table=throughput_bench");
    args.add("--staging=" + dir.resolve("staging"));
    args.add("--warehouse=duckdb:" + dir.resolve("throughput.duckdb"));
    args.add("--snapshotMode=replace");
    args.add("--maxReloadDeletePercent=100");
    if (bound != null) {
      args.add("--maxThroughput=" + bound);
    }
    ReplicateOptions options = Commands.options(args.toArray(String[]::new), out);
    long start = System.currentTimeMillis();
    try (ReplicatePipeline.Launched run = ReplicatePipeline.run(options)) {
      run.result().waitUntilFinish();
      RunSummary s = RunSummary.of(run.result(), System.currentTimeMillis() - start);
      Run r = new Run(bound == null ? "unbounded" : bound, bound == null ? 0 : Throughput.bytesPerSecond(bound),
          s.get(ReadJdbcSnapshot.ROWS_READ), s.get(ReadJdbcSnapshot.BYTES_READ), s.sourceBytesPerSecond(),
          s.wallMillis() / 1000.0);
      out.printf(Locale.ROOT, "  %-12s read %,d rows at %s/s%n", r.bound(), r.rows(), ByteSize.format((long) r.bytesPerSecond()));
      return r;
    }
  }
}
