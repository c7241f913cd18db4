package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code run-local.sh} run as a user runs it: a process, its exit code, what it prints. */
public class RunLocalScriptIT {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final File REPO = Path.of("..").toAbsolutePath().normalize().toFile();

  record Result(int code, String out, String err) {}

  private static Result run(String... args) throws Exception {
    return runWith(Map.of(), args);
  }

  private static Result runWith(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("./run-local.sh"));
    command.addAll(List.of(args));
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(REPO).redirectOutput(out).redirectError(err);
    builder.environment().putAll(env);
    Process p = builder.start();
    assertTrue("run-local.sh did not finish in 5 minutes", p.waitFor(5, TimeUnit.MINUTES));
    return new Result(p.exitValue(),
        java.nio.file.Files.readString(out.toPath(), StandardCharsets.UTF_8),
        java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }

  @Test
  public void defaultRunReplicatesTheSampleAndSqlQueriesIt() throws Exception {
    Result r = run();
    assertEquals(r.err() + r.out(), 0, r.code());
    assertTrue(r.out(), r.out().startsWith("replicate spind_dly: done in "));
    assertTrue(r.out(), r.out().contains("read        1,311 lines from 2 files (snapshot rows at _sequence_num 1000)"));
    assertTrue(r.out(), r.out().contains("rejected    2 dead letters in local/staging/dead-letters/rejected-"));
    Result q = run("sql", "SELECT COUNT(*) AS n FROM spind_dly");
    assertEquals(q.err(), 0, q.code());
    assertTrue(q.out(), q.out().contains("1182"));
  }

  @Test
  public void aLongRunPrintsProgressAQuietOneDoesNot() throws Exception {
    Path dir = tmp.getRoot().toPath();
    // 500,000 rows, a run of several seconds; a line a second (not the default 5 s), so that the
    // test does not hang on how fast the machine is.
    try (var w = java.nio.file.Files.newBufferedWriter(dir.resolve("changes.jsonl"))) {
      for (int i = 0; i < 500_000; i++) {
        w.write("{\"gvkey\":\"" + (100000 + i % 20000) + "\",\"datadate\":\"2024-01-"
            + String.format("%02d", 1 + i / 20000 % 28) + "\",\"spiprc\":\"" + (i % 997)
            + ".25\",\"_op\":\"INSERT\",\"_sequence_num\":" + (i + 1) + "}\n");
      }
    }
    Result badEvery = run("replicate", "--progressEvery=soon", "--table=spind_dly", "--keys=gvkey,datadate");
    assertEquals(badEvery.err(), 2, badEvery.code());
    assertTrue(badEvery.err(), badEvery.err().startsWith("replicator: error: --progressEvery='soon' is not a duration"));
    Result loud = run("replicate", "--progressEvery=1s", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=samples/spind_dly/schema.json", "--changes=" + dir.resolve("changes.jsonl"),
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    assertEquals(loud.err(), 0, loud.code());
    assertTrue(loud.err(), loud.err().lines().anyMatch(l -> l.matches("replicate spind_dly: ([\\d,]+ rows read \\([\\d,]+ MB"
        + " of [\\d,]+ MB, \\d+%\\), [\\d,]+ rows/s, .*|all 500,000 rows read; .*)")));
    assertTrue(loud.out(), loud.out().startsWith("replicate spind_dly: done in "));

    Result quiet = run("replicate", "--quiet", "--progressEvery=1s", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=samples/spind_dly/schema.json", "--changes=" + dir.resolve("changes.jsonl"),
        "--staging=" + dir.resolve("staging2"), "--warehouse=duckdb:" + dir.resolve("w2.duckdb"));
    assertEquals(quiet.err(), 0, quiet.code());
    assertTrue(quiet.err(), quiet.err().lines().noneMatch(l -> l.contains("rows read")));
  }

  @Test
  public void helpAndSqlAnswerAsAUserExpects() throws Exception {
    Result help = run("replicate", "--help");
    assertEquals(help.err(), 0, help.code());
    assertEquals("usage: replicator replicate --option=value ...", help.out().lines().findFirst().orElse(""));
    Result sample = run();
    assertEquals(sample.err(), 0, sample.code());
    Result drop = run("sql", "DROP TABLE spind_dly");
    assertEquals(drop.err(), 2, drop.code());
    assertTrue(drop.err(), drop.err().startsWith("replicator: error: sql: the warehouse is opened read-only"));
    Result count = run("sql", "SELECT COUNT(*) AS n FROM spind_dly");
    assertTrue(count.out(), count.out().contains("1182"));
  }

  @Test
  public void benchPrintsTheTableAgainstTheNativeBaseline() throws Exception {
    Result r = run("bench", "replicate", "--rows=2000", "--runners=direct", "--dir=" + tmp.getRoot());
    assertEquals(r.err() + r.out(), 0, r.code());
    assertTrue(r.out(), r.out().contains("data: 2,000 rows"));
    assertTrue(r.out(), r.out().matches("(?s).*DuckDB native \\(SQL only\\) +load .*"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator, DirectRunner +changes .*x\\n.*"));
    assertTrue(r.out(), r.out().contains("JVM start-up and launch"));
    // Where the time went, stage by stage, per runner: the snapshot staged as read (no reduce), the
    // change batch in batches of whole keys.
    assertTrue(r.out(), r.out().matches("(?s).*Replicator, DirectRunner +load: +CPU per row read: decode [\\d.]+ µs,"
        + " stage [\\d.]+ µs; [\\d.]+ s loading staged files and [\\d.]+ s merging them;"
        + " [\\d.]+ s paused for garbage collection\\n +changes: +CPU per row read: decode [\\d.]+ µs,"
        + " reduce [\\d.]+ µs, stage [\\d.]+ µs; .*"));
  }

  @Test
  public void s3SyncBenchCopiesAndChecksEveryObject() throws Exception {
    // One large object above the 8 MB threshold: the multipart path runs too.
    Result r = run("bench", "s3-sync", "--objects=60", "--large=1", "--largeSize=9MB", "--tools=replicator",
        "--rounds=2");
    assertEquals(r.err() + r.out(), 0, r.code());
    assertTrue(r.out(), r.out().contains("data: 60 objects of 1-64 KiB in 20 prefixes and 1 of 9.0 MB"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator s3-sync, DirectRunner +copy +[0-9.]+ +61 .*"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator s3-sync, DirectRunner +no-op +[0-9.]+ +0 .*"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator s3-sync, DirectRunner +1% changed +[0-9.]+ +1 .*"));
    // The second round's copy is checked as the first one is, and both rounds' times are shown.
    assertTrue(r.out(), r.out().contains("copy: the median of 2 rounds"));
    assertTrue(r.out(), r.out().matches("(?s).*\\nReplicator s3-sync, DirectRunner +[0-9]+\\.[0-9] [0-9]+\\.[0-9]\\n.*"));
    assertTrue(r.out(), r.out().contains("after every run each copy held every key of the source with its size"));
  }

  @Test
  public void s3SyncBenchOnTheFilesystemStoreTimesOnlyTheRunsAsked() throws Exception {
    // Each bucket starts as a copy of the source's files; the no-op must write nothing again.
    Result r = run("bench", "s3-sync", "--store=filesystem", "--runs=no-op,changed", "--objects=60", "--large=0",
        "--tools=replicator");
    assertEquals(r.err() + r.out(), 0, r.code());
    assertTrue(r.out(), r.out().contains("S3Proxy (filesystem store in "));
    assertTrue(r.out(), r.out().contains("data: 60 objects of 1-64 KiB in 20 prefixes and 0 of 32.0 MB"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator s3-sync, DirectRunner +no-op +[0-9.]+ +0 .*"));
    assertTrue(r.out(), r.out().matches("(?s).*Replicator s3-sync, DirectRunner +1% changed +[0-9.]+ +1 .*"));
    assertFalse(r.out(), r.out().matches("(?s).*DirectRunner +copy .*"));
    Result memory = run("bench", "s3-sync", "--runs=no-op", "--tools=replicator");
    assertEquals(2, memory.code());
    assertTrue(memory.err(), memory.err().contains("--runs without copy starts each bucket as a copy of the source's"
        + " files, which needs --store=filesystem"));
  }

  @Test
  public void runningOutOfMemoryStopsTheProcessAtOnce() throws Exception {
    // The DirectRunner may finish a run whose step died of an Error, its bundle lost, and let the
    // steps after it commit source positions: run-local.sh makes the JVM kill itself at its first
    // OutOfMemoryError instead (137). JAVA_OPTS comes last, so this heap, far too small, wins.
    Path dir = tmp.getRoot().toPath();
    Result r = runWith(Map.of("JAVA_OPTS", "-Xmx16m"), "replicate", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=samples/spind_dly/schema.json", "--changes=samples/spind_dly/changes.jsonl",
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"));
    assertEquals(r.err() + r.out(), 137, r.code());
    assertTrue(r.out() + r.err(), r.out().contains("# java.lang.OutOfMemoryError: Java heap space"));
  }

  @Test
  public void optionsGoThroughAndBadOnesExitWithTwo() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Result ok = run("replicate", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=samples/spind_dly/schema.json", "--changes=samples/spind_dly/changes.jsonl",
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb"), "--deletes=soft");
    assertEquals(ok.err(), 0, ok.code());
    assertTrue(ok.out(), ok.out().contains("read        311 lines from 1 files"));

    Result bad = run("replicate", "--table=spind_dly", "--keys=gvkey", "--schema=samples/spind_dly/schema.json",
        "--changes=samples/spind_dly/changes.jsonl", "--staging=" + dir, "--warehouse=duckdb:" + dir.resolve("x.duckdb"),
        "--batchMaxBytes=huge");
    assertEquals(2, bad.code());
    assertEquals("replicator: error: --batchMaxBytes: 'huge' is not a size (examples: 256MB, 64KB, 1GB, 1048576)",
        bad.err().strip());
  }

  /** A new user's slips, each answered by the command as a process: its exit code and first line. */
  @Test
  public void aNewUsersSlipsAreAnsweredByExitCodeAndFirstLine() throws Exception {
    Path dir = tmp.getRoot().toPath();
    List<String> base = List.of("replicate", "--table=spind_dly", "--keys=gvkey,datadate",
        "--schema=samples/spind_dly/schema.json", "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + dir.resolve("w.duckdb"), "--quiet");
    java.util.function.Function<String[], Result> replicate = extra -> {
      List<String> args = new ArrayList<>(base);
      args.addAll(List.of(extra));
      try {
        return run(args.toArray(String[]::new));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };

    Result typo = replicate.apply(new String[] {"--changes=samples/spind_dly/changes.jsonl", "--tabel=x"});
    assertEquals(typo.err(), 2, typo.code());
    assertEquals("replicator: error: --tabel is not an option; did you mean --table? (--help lists them)",
        typo.err().lines().findFirst().orElse(""));

    Path drops = Files.createDirectories(dir.resolve("drops"));
    Result directory = replicate.apply(new String[] {"--changes=" + drops});
    assertEquals(directory.err(), 2, directory.code());
    assertTrue(directory.err(), directory.err().startsWith("replicator: error: --changes=" + drops
        + " is a directory: give a file pattern"));

    // Native lines said to be Debezium events: the run stops with the diagnosis, nothing applied.
    Result wrongFormat = replicate.apply(new String[] {"--changes=samples/spind_dly/changes.jsonl",
        "--changeFormat=debezium"});
    assertEquals(wrongFormat.err(), 1, wrongFormat.code());
    assertTrue(wrongFormat.err(), wrongFormat.err().lines().findFirst().orElse("").matches("replicator: failed: .*"
        + "changes.jsonl: [\\d,]+ of its first [\\d,]+ lines are native change lines, not Debezium events: give"
        + " --changeFormat=native \\(nothing was applied\\)"));

    // A file saved with a byte order mark (Excel, PowerShell) reads like one without.
    Path bom = dir.resolve("bom.jsonl");
    byte[] lines = Files.readAllBytes(Path.of(REPO.getPath(), "samples/spind_dly/changes.jsonl"));
    byte[] marked = new byte[lines.length + 3];
    marked[0] = (byte) 0xEF;
    marked[1] = (byte) 0xBB;
    marked[2] = (byte) 0xBF;
    System.arraycopy(lines, 0, marked, 3, lines.length);
    Files.write(bom, marked);
    Result withBom = replicate.apply(new String[] {"--changes=" + bom});
    assertEquals(withBom.err(), 0, withBom.code());
    assertTrue(withBom.out(), withBom.out().contains("read        311 lines from 1 files"));
    assertTrue(withBom.out(), withBom.out().matches("(?s).*\\n  rejected    2 dead letters in .*"));

    // A truncated compressed file is named, and nothing of it is applied.
    Path gz = Files.createDirectories(dir.resolve("gz")).resolve("part-0.jsonl.gz");
    java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(packed)) {
      out.write(lines);
    }
    Files.write(gz, java.util.Arrays.copyOf(packed.toByteArray(), packed.size() / 2));
    Result truncated = replicate.apply(new String[] {"--changes=" + gz});
    assertEquals(truncated.err(), 1, truncated.code());
    assertTrue(truncated.err(), truncated.err().lines().findFirst().orElse("").contains("cannot read " + gz
        + ": it ends in the middle of its data"));
  }
}
