package io.replicator.cli;

import io.replicator.pipelines.Commands;
import io.replicator.pipelines.bench.Benchmarks;
import java.io.PrintStream;
import java.util.Map;

/**
 * The bundled jar's entry point: {@code java -jar replicator-bundled.jar PIPELINE --option=value ...}:
 * the pipelines' commands ({@link Commands}) and the benchmarks, which run those pipelines.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command and returns its exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Commands.run(args, out, err, Map.of("bench", Benchmarks::run));
  }
}
