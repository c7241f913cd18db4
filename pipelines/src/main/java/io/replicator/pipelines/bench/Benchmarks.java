package io.replicator.pipelines.bench;

import io.replicator.pipelines.OptionsException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code bench replicate|throughput|s3-sync ...}: the benchmarks, each against its peers. */
public final class Benchmarks {
  private Benchmarks() {}

  /** Runs the benchmark {@code args[0]} with the rest of the arguments; returns the exit code. */
  public static int run(String[] args, PrintStream out) throws IOException, InterruptedException {
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (args.length == 0 ? "" : args[0]) {
      case "replicate":
        return ReplicateBenchmark.main(rest, out);
      case "throughput":
        return ThroughputBenchmark.main(rest, out);
      case "s3-sync":
        return S3SyncBenchmark.main(rest, out);
      default:
        throw new OptionsException("bench: expected 'bench replicate [--rows=N] [--runners=direct,flink] [--scaling]',"
            + " 'bench throughput --jdbcUrl=... --jdbcTable=... [--bounds=5MB/s,10MB/s]' or 'bench s3-sync'");
    }
  }
}
