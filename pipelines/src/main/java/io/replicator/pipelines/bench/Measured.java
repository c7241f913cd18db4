package io.replicator.pipelines.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One measured process: its wall time and peak resident memory (VmHWM from /proc), its output. */
record Measured(String engine, double seconds, long peakRssKb, String output) {
  /** Runs {@code command} with {@code env} added to this process's environment; fails on a non-zero exit. */
  static Measured run(String engine, List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    File log = File.createTempFile("bench", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    long start = System.nanoTime();
    Process p = pb.start();
    long peak = 0;
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    while (p.isAlive()) {
      peak = Math.max(peak, vmHwmKb(status));
      Thread.sleep(50);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    log.delete();
    if (p.exitValue() != 0) {
      throw new IllegalStateException(engine + " failed (exit " + p.exitValue() + "), the end of its output:\n"
          + output.substring(Math.max(0, output.length() - 2000)));
    }
    return new Measured(engine, seconds, peak, output);
  }

  private static long vmHwmKb(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between the check and the read
    }
    return 0;
  }

  /** The java executable running this benchmark. */
  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** The bundled jar this benchmark runs from. */
  static String jar() {
    try {
      return Path.of(Measured.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
