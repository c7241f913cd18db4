package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;

import io.replicator.cli.Main;
import io.replicator.testing.SqlRows;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** A replicate run of the {@link SourceSimulator} table, as a user starts it, and what it left. */
final class Replication {
  final Path dir;
  final Path warehouse;
  private int files;

  Replication(Path dir) throws IOException {
    this.dir = dir;
    this.warehouse = dir.resolve("warehouse.duckdb");
    Files.writeString(dir.resolve("schema.json"), SourceSimulator.SCHEMA);
  }

  /** Writes lines into a new input directory, cut into {@code parts} files. */
  Path write(List<String> lines, int parts) throws IOException {
    Path in = dir.resolve("input-" + (++files));
    Files.createDirectories(in);
    for (int p = 0; p < parts; p++) {
      StringBuilder sb = new StringBuilder();
      for (int i = p; i < lines.size(); i += parts) {
        sb.append(lines.get(i)).append('\n');
      }
      Files.writeString(in.resolve("part-" + p + ".jsonl"), sb, StandardCharsets.UTF_8);
    }
    return in;
  }

  /** The lines shuffled, with a share of them written twice. */
  static List<String> shuffledWithDuplicates(List<String> lines, Random random, double duplicateShare) {
    List<String> out = new ArrayList<>(lines);
    for (String line : lines) {
      if (random.nextDouble() < duplicateShare) {
        out.add(line);
      }
    }
    Collections.shuffle(out, random);
    return out;
  }

  /** Runs {@code replicate} with the common options plus {@code extra}; returns the outcome. */
  Outcome run(String... extra) {
    List<String> args = new ArrayList<>(List.of("replicate", "--table=t", "--keys=" + SourceSimulator.KEYS,
        "--schema=" + dir.resolve("schema.json"), "--staging=" + dir.resolve("staging"),
        "--warehouse=duckdb:" + warehouse));
    for (String option : extra) {
      String name = option.contains("=") ? option.substring(0, option.indexOf('=') + 1) : option;
      args.removeIf(a -> a.startsWith(name)); // an option given here replaces the default
      args.add(option);
    }
    return cli(args.toArray(String[]::new));
  }

  /** Runs the command line {@code args} in this JVM, as {@code java -jar} would, and captures it. */
  static Outcome cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Outcome(int code, String out, String err) {
    Outcome ok() {
      assertEquals("exit code; stderr: " + err + "\nstdout: " + out, 0, code);
      return this;
    }

    /** A number from the summary line that starts with {@code label}. */
    long count(String label) {
      for (String line : out.split("\n")) {
        String t = line.trim();
        if (t.startsWith(label + " ")) {
          return Long.parseLong(t.substring(label.length()).trim().split(" ")[0].replace(",", ""));
        }
      }
      throw new AssertionError("no '" + label + "' in the summary:\n" + out);
    }

    /** {@link #count}, or 0 where the summary leaves the line out (it does for counts that are 0). */
    long countOrZero(String label) {
      return out.lines().anyMatch(line -> line.trim().startsWith(label + " ")) ? count(label) : 0;
    }
  }

  /** The target's rows as the simulator renders them, sorted by key. */
  List<String> rows() throws SQLException {
    return query("SELECT id, region, \"select\", \"설명\", amount FROM t WHERE TRUE"
        + (hasColumn("_is_deleted") ? " AND NOT _is_deleted" : "") + " ORDER BY id, region");
  }

  /** Everything the target holds, metadata and tombstones included: for run-to-run equality. */
  List<String> everything() throws SQLException {
    List<String> all = new ArrayList<>(query("SELECT * FROM t ORDER BY ALL"));
    if (!hasColumn("_is_deleted")) {
      all.add("-- tombstones");
      all.addAll(query("SELECT * FROM _deleted_t ORDER BY ALL"));
    }
    return all;
  }

  private boolean hasColumn(String name) throws SQLException {
    return !query("SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = '" + name + "'").isEmpty();
  }

  List<String> query(String sql) throws SQLException {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      return SqlRows.sorted(w.connection(), sql);
    }
  }
}
