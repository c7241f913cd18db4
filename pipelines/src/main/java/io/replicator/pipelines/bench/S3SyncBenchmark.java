package io.replicator.pipelines.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code bench s3-sync}: fills a bucket of an S3-compatible server on loopback (S3Proxy, in memory,
 * started here) with small objects of random sizes and a few large ones, then runs each tool
 * ({@code aws s3 sync}, {@code rclone sync} with its defaults and tuned as its docs advise for many
 * small objects, Replicator's {@code s3-sync} through {@code run-local.sh}) into an empty bucket
 * three times: the first sync, a sync with nothing to do, and a sync after 1% of the objects
 * changed. Every tool gets the same multipart threshold and part size, low enough that the large
 * objects take the multipart path. Prints wall time, objects/s, MB/s and peak RSS side by side
 * with the ratio to rclone's best, and checks after every run that the copy holds every key with
 * its size. Each tool's bucket is emptied before the next tool runs, so the server holds the same
 * data for each.
 *
 * <p>Options: {@code --objects=N} (default 10,000), {@code --objectSize=1KB-64KB} (the small objects' sizes,
 * drawn evenly between the two; smaller ones let a large count fit the server's memory), {@code --large=N} (default 4),
 * {@code --largeSize=32MB}, {@code --multipartThreshold=8MB}, {@code --tools=aws,rclone,replicator}
 * ({@code rclone-tuned} runs only rclone's tuned variant, for counts where its defaults take too long),
 * {@code --s3proxyJar=PATH} (default: the copy the build makes, {@code pipelines/target/s3proxy/s3proxy.jar}),
 * {@code --store=memory|filesystem} (S3Proxy's in-memory store, or its filesystem store in a
 * directory on tmpfs, {@code /dev/shm}, where there is one: buckets are directories, objects files,
 * written and checked here as files; it holds hundreds of thousands of objects in little heap),
 * {@code --runs=copy,no-op,changed} (which runs; without {@code copy} each tool's bucket starts as a
 * file-by-file copy of the source, sizes and times kept, which only the filesystem store allows).
 */
public final class S3SyncBenchmark {
  private static final String ID = "bench-identity";
  private static final String SECRET = "bench-credential";

  /** What one run of a tool was, and the objects it should have copied. */
  private record Row(String tool, String run, Measured measured, int objects, long bytes) {}

  /** The bench's settings. */
  private record Settings(int objects, int smallMin, int smallMax, int large, long largeSize, long threshold,
      List<String> tools, Path s3proxy, boolean filesystem, List<String> runs, int rounds) {}

  private static final List<String> RUNS = List.of("copy", "no-op", "changed");

  private S3SyncBenchmark() {}

  /** A size in KiB, whole where it is (1, 64) and to a tenth where not (1.5). */
  private static String kib(int bytes) {
    return bytes % 1024 == 0 ? Integer.toString(bytes / 1024) : String.format(Locale.ROOT, "%.1f", bytes / 1024.0);
  }

  public static int main(String[] args, PrintStream out) throws IOException, InterruptedException {
    int objects = 10_000;
    int smallMin = 1024;
    int smallMax = 64 * 1024;
    int large = 4;
    long largeSize = 32L << 20;
    long threshold = 8L << 20;
    List<String> tools = List.of("aws", "rclone", "replicator");
    Path s3proxy = Path.of("pipelines", "target", "s3proxy", "s3proxy.jar");
    boolean filesystem = false;
    List<String> runs = RUNS;
    Integer rounds = null;
    for (String a : args) {
      String value = a.substring(a.indexOf('=') + 1);
      if (a.startsWith("--objects=")) {
        objects = Integer.parseInt(value.replace(",", "").replace("_", ""));
      } else if (a.startsWith("--objectSize=")) {
        String[] range = value.split("-");
        if (range.length != 2) {
          throw new IllegalArgumentException("bench s3-sync: --objectSize='" + value + "' is not MIN-MAX (e.g. 1KB-4KB)");
        }
        smallMin = (int) io.replicator.common.ByteSize.parse(range[0]);
        smallMax = (int) io.replicator.common.ByteSize.parse(range[1]);
        if (smallMin < 1024 || smallMax < smallMin + 1024 || smallMax > (16 << 20)) {
          throw new IllegalArgumentException("bench s3-sync: --objectSize='" + value + "' must be 1KB or more, MAX at"
              + " least 1KB above MIN and at most 16MB");
        }
      } else if (a.startsWith("--large=")) {
        large = Integer.parseInt(value);
      } else if (a.startsWith("--largeSize=")) {
        largeSize = io.replicator.common.ByteSize.parse(value);
      } else if (a.startsWith("--multipartThreshold=")) {
        threshold = io.replicator.common.ByteSize.parse(value);
      } else if (a.startsWith("--tools=")) {
        tools = List.of(value.split(","));
      } else if (a.startsWith("--s3proxyJar=")) {
        s3proxy = Path.of(value);
      } else if (a.startsWith("--store=")) {
        if (!List.of("memory", "filesystem").contains(value)) {
          throw new IllegalArgumentException("bench s3-sync: --store='" + value + "' is not memory or filesystem");
        }
        filesystem = value.equals("filesystem");
      } else if (a.startsWith("--rounds=")) {
        rounds = Integer.parseInt(value);
        if (rounds < 1) {
          throw new IllegalArgumentException("bench s3-sync: --rounds=" + value + " must be at least 1");
        }
      } else if (a.startsWith("--runs=")) {
        runs = List.of(value.split(","));
        if (runs.isEmpty() || !RUNS.containsAll(runs)) {
          throw new IllegalArgumentException("bench s3-sync: --runs='" + value + "' is not a list of copy, no-op, changed");
        }
      } else {
        throw new IllegalArgumentException("bench s3-sync: unknown option '" + a + "' (expected --objects=N,"
            + " --objectSize=1KB-64KB, --large=N, --largeSize=32MB, --multipartThreshold=8MB,"
            + " --tools=aws,rclone,rclone-tuned,replicator, --s3proxyJar=PATH, --store=memory|filesystem,"
            + " --runs=copy,no-op,changed, --rounds=N)");
      }
    }
    if (!runs.contains("copy") && !filesystem) {
      throw new IllegalArgumentException("bench s3-sync: --runs without copy starts each bucket as a copy of the"
          + " source's files, which needs --store=filesystem");
    }
    if (largeSize > (1L << 30)) {
      throw new IllegalArgumentException("bench s3-sync: --largeSize is at most 1GB (each object is made in memory,"
          + " and the in-memory server holds them all)");
    }
    if (threshold < (5L << 20)) {
      throw new IllegalArgumentException("bench s3-sync: --multipartThreshold must be at least 5MB (S3's smallest part)");
    }
    if (!Files.isRegularFile(s3proxy)) {
      throw new IllegalArgumentException("bench s3-sync: no S3Proxy jar at " + s3proxy + " (the build copies it there;"
          + " or give --s3proxyJar=PATH)");
    }
    for (String t : tools) {
      String exe = t.equals("aws") ? "/usr/bin/aws" : t.startsWith("rclone") ? "/usr/bin/rclone" : null;
      if (exe != null && !Files.isExecutable(Path.of(exe))) {
        throw new IllegalArgumentException("bench s3-sync: " + exe + " is missing (apt-get install -y rclone awscli),"
            + " or leave it out with --tools=");
      }
      if (!List.of("aws", "rclone", "rclone-tuned", "replicator").contains(t)) {
        throw new IllegalArgumentException("bench s3-sync: unknown tool '" + t + "' (expected aws, rclone, rclone-tuned,"
            + " replicator)");
      }
    }
    if (rounds != null && rounds > 1 && !runs.contains("copy")) {
      throw new IllegalArgumentException("bench s3-sync: --rounds repeats the copy runs, so --runs must include copy");
    }
    if (rounds == null) {
      // Five by default: a tool's first timed copy met a colder server than its later ones, its
      // untimed warm-up copy notwithstanding (tuned rclone 5.8 s, then 4.3 s four times, 2026-12-03),
      // and the median of three still moved by a tenth from one run of the benchmark to the next
      // (tuned rclone 3.9-5.5 s in one run, 2026-12-04).
      rounds = runs.contains("copy") ? 5 : 1;
    }
    Settings settings = new Settings(objects, smallMin, smallMax, large, largeSize, threshold, tools, s3proxy,
        filesystem, runs, rounds);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Path dir = Files.createTempDirectory("s3sync-bench");
    // On tmpfs where there is one, so that the store's disk is not what is measured.
    Path shm = Path.of("/dev/shm");
    Path basedir = filesystem ? Files.createTempDirectory(Files.isDirectory(shm) ? shm : dir, "s3sync-bench-store") : null;
    Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n", "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + ID, "s3proxy.credential=" + SECRET,
        filesystem ? "jclouds.provider=filesystem" : "jclouds.provider=transient-nio2",
        filesystem ? "jclouds.filesystem.basedir=" + basedir : "",
        "jclouds.identity=" + ID, "jclouds.credential=" + SECRET, ""));
    // The source and one copy in memory, with room for the server's own churn. Its in-memory
    // filesystem costs far more than the bytes for small objects: 200,000 of 1-4 KiB ran out of
    // 3 GB, and held with a copy in 32 KB per object (6.25 GB). The filesystem store needs little.
    long data = (long) objects * (settings.smallMin() + settings.smallMax()) / 2 + large * largeSize;
    long heap = filesystem ? 2L << 30 : Math.max(Math.max(3L << 30, data * 6), 2L * (objects + large) * (16L << 10));
    Process server = new ProcessBuilder(Measured.java(), "-Xmx" + (heap >> 20) + "m", "-DLOG_LEVEL=warn", "-jar",
        s3proxy.toString(), "--properties", dir.resolve("s3proxy.properties").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
    try {
      waitFor(endpoint, server);
      return run(out, endpoint, settings, dir, basedir);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("filling the source bucket failed: " + e.getCause(), e.getCause());
    } finally {
      server.destroy();
      if (basedir != null) {
        deleteTree(basedir);
      }
    }
  }

  private static void waitFor(String endpoint, Process server) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline && server.isAlive()) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint).toURL().openConnection();
        c.setConnectTimeout(500);
        c.getResponseCode();
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("S3Proxy did not start on " + endpoint);
  }

  private static int run(PrintStream out, String endpoint, Settings settings, Path dir, Path basedir)
      throws IOException, InterruptedException, java.util.concurrent.ExecutionException {
    out.printf(Locale.ROOT, "s3-sync benchmark, %s: %d cores, %.1f GB of memory; S3Proxy (%s) on loopback,"
        + " sharing the cores with the tool measured%n", LocalDate.now(), Runtime.getRuntime().availableProcessors(),
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9,
        basedir == null ? "in memory" : "filesystem store in " + basedir);
    S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET))).build();
    Store store = new Store(s3, basedir);
    s3.createBucket(b -> b.bucket("bench-src"));
    long t = System.nanoTime();
    Random sizes = new Random(42);
    Map<String, Integer> plan = new TreeMap<>();
    for (int i = 0; i < settings.objects(); i++) {
      plan.put("part-" + (i % 20) + "/object-" + i + ".bin",
          settings.smallMin() + sizes.nextInt(settings.smallMax() - settings.smallMin() + 1));
    }
    for (int i = 0; i < settings.large(); i++) {
      plan.put("large/object-" + i + ".bin", (int) settings.largeSize());
    }
    store.put("bench-src", plan, 0);
    long total = plan.values().stream().mapToLong(Integer::longValue).sum();
    out.printf(Locale.ROOT, "data: %,d objects of %s-%s KiB in 20 prefixes and %d of %s (%.1f MB in all), %s in"
        + " %.1f s; multipart threshold and part size %s (aws: single-part copies, see its row)%n%n",
        settings.objects(), kib(settings.smallMin()), kib(settings.smallMax()), settings.large(), io.replicator.common.ByteSize.format(settings.largeSize()), total / 1e6,
        basedir == null ? "uploaded" : "written as files", (System.nanoTime() - t) / 1e9,
        io.replicator.common.ByteSize.format(settings.threshold()));

    Map<String, String> env = new HashMap<>();
    env.put("AWS_ACCESS_KEY_ID", ID);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CA_BUNDLE", null); // rclone refuses to start with it set
    long mb = settings.threshold() >> 20;
    Path awsConfig = dir.resolve("aws-config");
    // aws's multipart copy reads the source's tags, which S3Proxy does not implement (every
    // --copy-props setting fails there), so aws copies the large objects whole.
    Files.writeString(awsConfig, "[default]\ns3 =\n  multipart_threshold = 5GB\n  multipart_chunksize = " + mb + "MB\n");
    env.put("AWS_CONFIG_FILE", awsConfig.toString());
    env.put("RCLONE_CONFIG_S3P_TYPE", "s3");
    env.put("RCLONE_CONFIG_S3P_PROVIDER", "Other");
    env.put("RCLONE_CONFIG_S3P_ENDPOINT", endpoint);
    env.put("RCLONE_CONFIG_S3P_ACCESS_KEY_ID", ID);
    env.put("RCLONE_CONFIG_S3P_SECRET_ACCESS_KEY", SECRET);
    env.put("RCLONE_CONFIG_S3P_FORCE_PATH_STYLE", "true");

    // Not timed: one whole copy by each tool, so that none meets a server colder than the others
    // (S3Proxy compiles the paths each tool's requests take: with one warm-up copy by Replicator,
    // whichever tool ran first still took 30-50% longer than when it ran later, on 2026-12-02),
    // and a user's first run after a build writes the JVM's class archive (run-local.sh). Without
    // copy runs, the copy of one prefix each does both.
    Set<String> warmUpTools = new LinkedHashSet<>(List.of("replicator"));
    warmUpTools.addAll(settings.tools());
    for (String chosen : warmUpTools) {
      s3.createBucket(b -> b.bucket("bench-warm-up"));
      List<String> warmUp = new ArrayList<>(command(toolOf(chosen), chosen.equals("rclone-tuned") ? "tuned" : "default",
          endpoint, "bench-warm-up", mb));
      if (!settings.runs().contains("copy")) {
        warmUp.addAll(chosen.equals("replicator") ? List.of("--exclude=*", "--include=part-0/*")
            : chosen.equals("aws") ? List.of("--exclude", "*", "--include", "part-0/*")
            : List.of("--include", "part-0/**"));
      }
      Measured.run("warm-up (" + chosen + ")", warmUp, env);
      store.empty("bench-warm-up"); // and removes it
    }
    List<Row> rows = new ArrayList<>();
    // Each tool's first sync, per round, and the command that ran it (for --rounds).
    Map<String, List<Measured>> copies = new LinkedHashMap<>();
    Map<String, List<String>> commands = new LinkedHashMap<>();
    Map<String, String> buckets = new HashMap<>();
    int round = 0;
    for (String chosen : settings.tools()) {
      String tool = toolOf(chosen);
      List<String> variants = switch (chosen) {
        case "rclone" -> List.of("default", "tuned");
        case "rclone-tuned" -> List.of("tuned");
        default -> List.of("default");
      };
      for (String variant : variants) {
        String bucket = "bench-" + tool + "-" + variant;
        s3.createBucket(b -> b.bucket(bucket));
        String label = label(tool, variant);
        List<String> command = command(tool, variant, endpoint, bucket, mb);
        Map<String, Integer> expected = store.sizes("bench-src");
        if (settings.runs().contains("copy")) {
          Measured copy = checked(Measured.run(label, command, env), store, bucket, expected);
          copies.computeIfAbsent(label, l -> new ArrayList<>()).add(copy);
          commands.put(label, command);
          buckets.put(label, bucket);
          rows.add(new Row(label, "copy", copy, expected.size(),
              expected.values().stream().mapToLong(Integer::longValue).sum()));
        } else {
          store.copy("bench-src", bucket);
        }
        if (settings.runs().contains("no-op")) {
          Map<String, String> before = store.versions(bucket);
          Measured noOp = checked(Measured.run(label, command, env), store, bucket, expected);
          Map<String, String> after = store.versions(bucket);
          long rewritten = before.entrySet().stream().filter(e -> !e.getValue().equals(after.get(e.getKey()))).count();
          // Replicator's own promise; another tool's rewrites are shown in its row.
          if (rewritten > 0 && tool.equals("replicator")) {
            throw new IllegalStateException(label + " wrote " + rewritten + " objects again in a sync with nothing to do");
          }
          rows.add(new Row(label, "no-op", noOp, Math.toIntExact(rewritten), 0));
        }
        if (settings.runs().contains("changed")) {
          // 1% of the small objects change size and content.
          round++;
          Map<String, Integer> changed = new TreeMap<>();
          int step = Math.max(1, settings.objects() / Math.max(1, settings.objects() / 100));
          for (int i = round % step; i < settings.objects(); i += step) {
            String key = "part-" + (i % 20) + "/object-" + i + ".bin";
            int size = expected.get(key);
            changed.put(key, size > (settings.smallMin() + settings.smallMax()) / 2 ? size - 512 : size + 512);
          }
          store.put("bench-src", changed, round);
          expected = store.sizes("bench-src");
          rows.add(new Row(label, "1% changed", checked(Measured.run(label, command, env), store, bucket, expected),
              changed.size(), changed.values().stream().mapToLong(Integer::longValue).sum()));
        }
        store.empty(bucket);
      }
    }
    if (settings.rounds() > 1) {
      moreCopyRounds(settings.rounds(), copies, commands, buckets, env, store);
      rows.replaceAll(r -> r.run().equals("copy") ? new Row(r.tool(), r.run(), median(copies.get(r.tool())),
          r.objects(), r.bytes()) : r);
    }
    print(out, rows, settings.objects() + settings.large());
    if (settings.rounds() > 1) {
      out.printf(Locale.ROOT, "%ncopy: the median of %d rounds, the tools' order turned by one each round; every"
          + " round's wall seconds:%n", settings.rounds());
      copies.forEach((label, runs) -> out.printf(Locale.ROOT, "%-41s %s%n", label,
          String.join(" ", runs.stream().map(m -> String.format(Locale.ROOT, "%.1f", m.seconds())).toList())));
    }
    out.println("\nafter every run each copy held every key of the source with its size");
    return 0;
  }

  /**
   * Runs each tool's first sync {@code rounds - 1} more times, into an empty bucket each time, the
   * tools' order turned by one each round: the server's speed drifts as it runs (its JIT, its
   * heap), and a tool that always ran first or last would meet it at one end of that drift.
   */
  private static void moreCopyRounds(int rounds, Map<String, List<Measured>> copies,
      Map<String, List<String>> commands, Map<String, String> buckets, Map<String, String> env, Store store)
      throws IOException, InterruptedException {
    List<String> labels = new ArrayList<>(commands.keySet());
    Map<String, Integer> expected = store.sizes("bench-src");
    for (int r = 1; r < rounds; r++) {
      Collections.rotate(labels, 1);
      for (String label : labels) {
        String bucket = buckets.get(label);
        store.s3().createBucket(b -> b.bucket(bucket));
        copies.get(label).add(checked(Measured.run(label, commands.get(label), env), store, bucket, expected));
        store.empty(bucket);
      }
    }
  }

  /** The run of median wall time (the lower middle one of an even count). */
  private static Measured median(List<Measured> runs) {
    List<Measured> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingDouble(Measured::seconds));
    return sorted.get((sorted.size() - 1) / 2);
  }

  /** The program a {@code --tools} entry runs ({@code rclone-tuned} is rclone's tuned variant only). */
  private static String toolOf(String chosen) {
    return chosen.equals("rclone-tuned") ? "rclone" : chosen;
  }

  private static String label(String tool, String variant) {
    return switch (tool) {
      case "aws" -> "aws s3 sync (CLI 2.9, single-part)";
      case "rclone" -> variant.equals("tuned") ? "rclone sync --transfers=16 --checkers=16" : "rclone sync (1.60, defaults)";
      default -> "Replicator s3-sync, DirectRunner";
    };
  }

  private static List<String> command(String tool, String variant, String endpoint, String bucket, long partMb) {
    List<String> c = new ArrayList<>();
    switch (tool) {
      case "aws" -> c.addAll(List.of("/usr/bin/aws", "--endpoint-url", endpoint, "s3", "sync", "s3://bench-src",
          "s3://" + bucket, "--only-show-errors"));
      case "rclone" -> {
        // Same-remote copies are server-side; the cutoff makes the large ones multipart copies.
        c.addAll(List.of("/usr/bin/rclone", "sync", "s3p:bench-src", "s3p:" + bucket, "--s3-copy-cutoff=" + partMb + "M",
            "--s3-chunk-size=" + partMb + "M"));
        if (variant.equals("tuned")) {
          c.addAll(List.of("--transfers=16", "--checkers=16"));
        }
      }
      default -> {
        // What a user runs: run-local.sh picks the JVM settings for the pipeline.
        if (Files.isExecutable(Path.of("run-local.sh"))) {
          c.add("./run-local.sh");
        } else {
          c.addAll(List.of(Measured.java(), "-jar", Measured.jar()));
        }
        c.addAll(List.of("s3-sync", "--source=s3://bench-src", "--target=s3://" + bucket, "--sourceEndpoint=" + endpoint,
            "--targetEndpoint=" + endpoint, "--pathStyle=true", "--multipartThreshold=" + partMb + "MB",
            "--multipartChunkSize=" + partMb + "MB"));
      }
    }
    return c;
  }

  private static Measured checked(Measured m, Store store, String bucket, Map<String, Integer> expected)
      throws IOException {
    Map<String, Integer> copied = store.sizes(bucket);
    if (!copied.equals(expected)) {
      long missing = expected.keySet().stream().filter(k -> !copied.containsKey(k)).count();
      long wrong = expected.entrySet().stream().filter(e -> copied.containsKey(e.getKey())
          && !copied.get(e.getKey()).equals(e.getValue())).count();
      throw new IllegalStateException(m.engine() + " left " + copied.size() + " objects, expected " + expected.size()
          + " (" + missing + " missing, " + wrong + " of another size)");
    }
    return m;
  }

  private static void print(PrintStream out, List<Row> rows, int listed) {
    Map<String, Double> bestRclone = new HashMap<>();
    for (Row r : rows) {
      if (r.tool().startsWith("rclone")) {
        bestRclone.merge(r.run(), r.measured().seconds(), Math::min);
      }
    }
    out.printf(Locale.ROOT, "%-41s %-11s %7s %10s %10s %8s %9s %10s%n", "tool", "run", "wall s", "copied", "objects/s",
        "MB/s", "peak RSS", "vs rclone");
    for (Row r : rows) {
      double s = r.measured().seconds();
      Double best = bestRclone.get(r.run());
      // A no-op run copies nothing: its rate is the objects compared per second.
      double perSecond = (r.run().equals("no-op") ? listed : r.objects()) / s;
      out.printf(Locale.ROOT, "%-41s %-11s %7.1f %10s %10.0f %8.1f %6.0f MB %10s%n", r.tool(), r.run(), s,
          String.format(Locale.ROOT, "%,d", r.objects()), perSecond, r.bytes() / 1e6 / s,
          r.measured().peakRssKb() / 1024.0, best == null ? "" : String.format(Locale.ROOT, "%.2fx", s / best));
    }
    out.println("\nobjects/s of a no-op run: objects compared per second; its copied: objects the tool wrote again"
        + " (the server saw a write: a copy, or a copy onto itself to set metadata); vs rclone: wall time over the"
        + " best rclone run's (below 1 is faster)");
  }

  /**
   * Where the objects are: S3Proxy's memory, reached through S3, or its filesystem store (a bucket
   * a directory, an object a file), reached as files, which is far quicker for many objects.
   */
  private record Store(S3Client s3, Path basedir) {
    /** Writes {@code sizes} (key to size) into {@code bucket}, with content that depends on {@code round}. */
    void put(String bucket, Map<String, Integer> sizes, int round)
        throws InterruptedException, java.util.concurrent.ExecutionException {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<?>> puts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
          puts.add(pool.submit(() -> {
            byte[] body = new byte[e.getValue()];
            new Random(e.getKey().hashCode() * 31L + round).nextBytes(body);
            if (basedir == null) {
              s3.putObject(b -> b.bucket(bucket).key(e.getKey()).contentType("application/octet-stream"),
                  RequestBody.fromBytes(body));
            } else {
              Path file = basedir.resolve(bucket).resolve(e.getKey());
              Files.createDirectories(file.getParent());
              Files.write(file, body);
            }
            return null;
          }));
        }
        for (Future<?> f : puts) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
    }

    /** Each key of {@code bucket} and its size. */
    Map<String, Integer> sizes(String bucket) throws IOException {
      Map<String, Integer> out = new TreeMap<>();
      if (basedir == null) {
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
          out.put(o.key(), o.size().intValue());
        }
        return out;
      }
      Path root = basedir.resolve(bucket);
      try (var files = Files.walk(root)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          out.put(root.relativize(f).toString().replace(java.io.File.separatorChar, '/'), (int) Files.size(f));
        }
      }
      return out;
    }

    /** Each key of {@code bucket} and when it was last written, to the store's precision. */
    Map<String, String> versions(String bucket) throws IOException {
      Map<String, String> out = new TreeMap<>();
      if (basedir == null) {
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
          out.put(o.key(), o.lastModified() + " " + o.eTag());
        }
        return out;
      }
      Path root = basedir.resolve(bucket);
      try (var files = Files.walk(root)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          out.put(root.relativize(f).toString(), Files.getLastModifiedTime(f).toString());
        }
      }
      return out;
    }

    /** Makes {@code to} (an empty bucket) a copy of {@code from}, file by file, sizes and times kept. */
    void copy(String from, String to) throws IOException {
      Path source = basedir.resolve(from);
      Path target = basedir.resolve(to);
      try (var files = Files.walk(source)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          Path copy = target.resolve(source.relativize(f));
          Files.createDirectories(copy.getParent());
          Files.copy(f, copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }

    /** Deletes a tool's copy, so the server holds the same data when the next tool runs. */
    void empty(String bucket) throws IOException {
      if (basedir != null) {
        deleteTree(basedir.resolve(bucket));
        return;
      }
      List<ObjectIdentifier> keys = new ArrayList<>();
      for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
        keys.add(ObjectIdentifier.builder().key(o.key()).build());
      }
      for (int i = 0; i < keys.size(); i += 1000) {
        List<ObjectIdentifier> page = keys.subList(i, Math.min(keys.size(), i + 1000));
        s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(page)));
      }
      s3.deleteBucket(b -> b.bucket(bucket));
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
