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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
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
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code bench s3-sync}: fills a bucket of an S3-compatible server on loopback (S3Proxy, in memory,
 * started here) and syncs it into an empty bucket with {@code aws s3 sync}, {@code rclone sync} and
 * Replicator's {@code s3-sync}, each in its own process, then once more (nothing to do). Prints wall
 * time, objects/s, MB/s and peak RSS side by side, and checks every copy holds every key and size.
 *
 * <p>Options: {@code --objects=N} (default 2,000), {@code --objectSize=64KB},
 * {@code --tools=aws,rclone,replicator}, {@code --s3proxyJar=PATH} (default: the copy the build
 * makes, {@code pipelines/target/s3proxy/s3proxy.jar}).
 */
public final class S3SyncBenchmark {
  private static final String ID = "bench-identity";
  private static final String SECRET = "bench-credential";

  private S3SyncBenchmark() {}

  public static int main(String[] args, PrintStream out) throws IOException, InterruptedException {
    int objects = 2000;
    long objectSize = 64 * 1024;
    List<String> tools = List.of("aws", "rclone", "replicator");
    Path s3proxy = Path.of("pipelines", "target", "s3proxy", "s3proxy.jar");
    for (String a : args) {
      if (a.startsWith("--objects=")) {
        objects = Integer.parseInt(a.substring("--objects=".length()).replace(",", "").replace("_", ""));
      } else if (a.startsWith("--objectSize=")) {
        objectSize = io.replicator.batch.ByteSize.parse(a.substring("--objectSize=".length()));
      } else if (a.startsWith("--tools=")) {
        tools = List.of(a.substring("--tools=".length()).split(","));
      } else if (a.startsWith("--s3proxyJar=")) {
        s3proxy = Path.of(a.substring("--s3proxyJar=".length()));
      } else {
        throw new IllegalArgumentException("bench s3-sync: unknown option '" + a
            + "' (expected --objects=N, --objectSize=64KB, --tools=aws,rclone,replicator, --s3proxyJar=PATH)");
      }
    }
    if (!Files.isRegularFile(s3proxy)) {
      throw new IllegalArgumentException("bench s3-sync: no S3Proxy jar at " + s3proxy + " (the build copies it there;"
          + " or give --s3proxyJar=PATH)");
    }
    for (String t : tools) {
      String exe = t.equals("aws") ? "/usr/bin/aws" : t.equals("rclone") ? "/usr/bin/rclone" : null;
      if (exe != null && !Files.isExecutable(Path.of(exe))) {
        throw new IllegalArgumentException("bench s3-sync: " + exe + " is missing (apt-get install -y rclone awscli),"
            + " or leave it out with --tools=");
      }
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Path dir = Files.createTempDirectory("s3sync-bench");
    Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n", "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + ID, "s3proxy.credential=" + SECRET,
        "jclouds.provider=transient-nio2", "jclouds.identity=" + ID, "jclouds.credential=" + SECRET, ""));
    long heap = Math.max(2L << 30, (long) objects * objectSize * 5);
    Process server = new ProcessBuilder(Measured.java(), "-Xmx" + (heap >> 20) + "m", "-DLOG_LEVEL=warn", "-jar",
        s3proxy.toString(), "--properties", dir.resolve("s3proxy.properties").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
    try {
      waitFor(endpoint, server);
      return run(out, endpoint, objects, objectSize, tools);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("filling the source bucket failed: " + e.getCause(), e.getCause());
    } finally {
      server.destroy();
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

  private static int run(PrintStream out, String endpoint, int objects, long objectSize, List<String> tools)
      throws IOException, InterruptedException, java.util.concurrent.ExecutionException {
    out.printf(Locale.ROOT, "s3-sync benchmark, %s: %d cores, %.1f GB of memory; S3Proxy (in memory) on loopback%n",
        LocalDate.now(), Runtime.getRuntime().availableProcessors(),
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9);
    S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET))).build();
    s3.createBucket(b -> b.bucket("bench-src"));
    long t = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> puts = new ArrayList<>();
    for (int i = 0; i < objects; i++) {
      String key = "part-" + (i % 20) + "/object-" + i + ".bin";
      byte[] body = new byte[(int) objectSize];
      new Random(i).nextBytes(body);
      puts.add(pool.submit(() -> s3.putObject(b -> b.bucket("bench-src").key(key).contentType("application/octet-stream"),
          RequestBody.fromBytes(body))));
    }
    for (Future<?> f : puts) {
      f.get();
    }
    pool.shutdown();
    double mb = objects * (double) objectSize / 1e6;
    out.printf(Locale.ROOT, "data: %,d objects of %s (%.1f MB) in 20 prefixes, uploaded in %.1f s%n%n", objects,
        io.replicator.batch.ByteSize.format(objectSize), mb, (System.nanoTime() - t) / 1e9);
    Map<String, Long> expected = keys(s3, "bench-src");

    Map<String, String> env = new HashMap<>();
    env.put("AWS_ACCESS_KEY_ID", ID);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CA_BUNDLE", null); // rclone refuses to start with it set
    env.put("RCLONE_CONFIG_S3P_TYPE", "s3");
    env.put("RCLONE_CONFIG_S3P_PROVIDER", "Other");
    env.put("RCLONE_CONFIG_S3P_ENDPOINT", endpoint);
    env.put("RCLONE_CONFIG_S3P_ACCESS_KEY_ID", ID);
    env.put("RCLONE_CONFIG_S3P_SECRET_ACCESS_KEY", SECRET);
    env.put("RCLONE_CONFIG_S3P_FORCE_PATH_STYLE", "true");

    out.printf(Locale.ROOT, "%-34s %-9s %8s %11s %9s %10s %9s%n", "tool", "run", "wall s", "objects/s", "MB/s",
        "peak RSS", "vs aws");
    Double awsFirst = null;
    for (String tool : tools) {
      String bucket = "bench-" + tool;
      s3.createBucket(b -> b.bucket(bucket));
      List<String> command = switch (tool) {
        case "aws" -> List.of("/usr/bin/aws", "--endpoint-url", endpoint, "s3", "sync", "s3://bench-src",
            "s3://" + bucket, "--only-show-errors");
        case "rclone" -> List.of("/usr/bin/rclone", "sync", "s3p:bench-src", "s3p:" + bucket, "--transfers=16",
            "--checkers=16");
        case "replicator" -> List.of(Measured.java(), "-jar", Measured.jar(), "s3-sync", "--source=s3://bench-src",
            "--target=s3://" + bucket, "--sourceEndpoint=" + endpoint, "--targetEndpoint=" + endpoint,
            "--pathStyle=true");
        default -> throw new IllegalArgumentException("bench s3-sync: unknown tool '" + tool
            + "' (expected aws, rclone, replicator)");
      };
      String label = switch (tool) {
        case "aws" -> "aws s3 sync (CLI 2.9)";
        case "rclone" -> "rclone sync (1.60, 16 transfers)";
        default -> "Replicator s3-sync, DirectRunner";
      };
      Measured first = Measured.run(label, command, env);
      Map<String, Long> copied = keys(s3, bucket);
      if (!copied.equals(expected)) {
        throw new IllegalStateException(label + " left " + copied.size() + " objects, expected " + expected.size());
      }
      Measured again = Measured.run(label, command, env);
      if (tool.equals("aws")) {
        awsFirst = first.seconds();
      }
      for (Measured m : List.of(first, again)) {
        boolean isFirst = m == first;
        out.printf(Locale.ROOT, "%-34s %-9s %8.1f %11.0f %9.1f %7.0f MB %9s%n", label, isFirst ? "copy" : "no-op",
            m.seconds(), isFirst ? objects / m.seconds() : 0, isFirst ? mb / m.seconds() : 0, m.peakRssKb() / 1024.0,
            isFirst && awsFirst != null ? String.format(Locale.ROOT, "%.2fx", m.seconds() / awsFirst) : "");
      }
    }
    out.println("\nevery copy holds every key with its size");
    return 0;
  }

  private static Map<String, Long> keys(S3Client s3, String bucket) {
    Map<String, Long> out = new TreeMap<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
      out.put(o.key(), o.size());
    }
    return out;
  }
}
