package io.replicator.pipelines;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generates the bundled sample: a Compustat-like daily index table {@code spind_dly} (keys gvkey,
 * datadate), a snapshot taken at {@code _sequence_num} {@value #SNAPSHOT_SEQUENCE}, and native
 * change lines after it with inserts, updates, deletes, key changes (a chain, a swap, an
 * away-and-back move), a delete and re-insert, duplicate lines, shuffled order, and two malformed
 * lines that go to dead letters. Deterministic: the same files every time.
 *
 * <p>{@code java -jar replicator-bundled.jar generate-sample --out=samples/spind_dly}
 */
final class SampleData {
  static final long SNAPSHOT_SEQUENCE = 1000;
  static final String SCHEMA = """
      [
        {"name": "gvkey", "type": "STRING", "mode": "REQUIRED"},
        {"name": "datadate", "type": "DATE", "mode": "REQUIRED"},
        {"name": "spihi", "type": "FLOAT64", "mode": "NULLABLE"},
        {"name": "spilo", "type": "FLOAT64", "mode": "NULLABLE"},
        {"name": "spinumn", "type": "INT64", "mode": "NULLABLE"},
        {"name": "spinumo", "type": "INT64", "mode": "NULLABLE"},
        {"name": "spiprc", "type": "NUMERIC", "mode": "NULLABLE"}
      ]
      """;

  private final Random random = new Random(20240101L);
  private final List<String> gvkeys = new ArrayList<>();
  private final List<LocalDate> days = new ArrayList<>();
  private long sequence = SNAPSHOT_SEQUENCE;

  SampleData() {
    for (int i = 0; i < 20; i++) {
      gvkeys.add(String.format(Locale.ROOT, "%06d", 3000 + i * 7));
    }
    LocalDate d = LocalDate.of(2024, 1, 2);
    while (days.size() < 60) {
      if (d.getDayOfWeek() != DayOfWeek.SATURDAY && d.getDayOfWeek() != DayOfWeek.SUNDAY) {
        days.add(d);
      }
      d = d.plusDays(1);
    }
  }

  static int main(String[] args, PrintStream out) {
    String dir = null;
    for (String a : args) {
      if (a.startsWith("--out=")) {
        dir = a.substring("--out=".length());
      } else {
        throw new OptionsException("generate-sample: unknown option '" + a + "' (expected --out=DIR)");
      }
    }
    if (dir == null) {
      throw new OptionsException("generate-sample: --out=DIR is required");
    }
    try {
      Path path = new SampleData().write(Path.of(dir));
      out.println("sample written to " + path);
      return 0;
    } catch (IOException e) {
      throw new OptionsException("generate-sample: cannot write to " + dir + ": " + e.getMessage());
    }
  }

  Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("schema.json"), SCHEMA, StandardCharsets.UTF_8);
    try (Writer w = Files.newBufferedWriter(dir.resolve("snapshot.jsonl"), StandardCharsets.UTF_8)) {
      for (String g : gvkeys) {
        for (LocalDate day : days.subList(0, 50)) {
          w.write(row(g, day, null) + "\n");
        }
      }
    }
    try (Writer w = Files.newBufferedWriter(dir.resolve("changes.jsonl"), StandardCharsets.UTF_8)) {
      for (String line : changes()) {
        w.write(line + "\n");
      }
    }
    return dir;
  }

  private List<String> changes() {
    List<String> lines = new ArrayList<>();
    // New trading days for every index.
    for (LocalDate day : days.subList(50, 60)) {
      for (String g : gvkeys) {
        lines.add(row(g, day, "INSERT"));
      }
    }
    // Price corrections.
    for (int i = 0; i < 60; i++) {
      lines.add(row(gvkeys.get(random.nextInt(20)), days.get(random.nextInt(50)), "UPDATE"));
    }
    // Deletes of rows that should not have been published.
    for (int i = 0; i < 15; i++) {
      lines.add(delete(gvkeys.get(i), days.get(10 + i)));
    }
    String g = gvkeys.get(3);
    // A chain of key changes (k1 -> k2 -> k3), each onto a key freed just before.
    lines.add(delete(g, days.get(41)));
    lines.add(delete(gvkeys.get(4), days.get(41)));
    lines.add(move(g, days.get(40), g, days.get(41)));
    lines.add(move(g, days.get(41), gvkeys.get(4), days.get(41)));
    // Delete then re-insert the same key.
    lines.add(delete(gvkeys.get(5), days.get(5)));
    lines.add(row(gvkeys.get(5), days.get(5), "INSERT"));
    // Away and back: a key moves to a free key and returns.
    lines.add(delete(gvkeys.get(6), days.get(7)));
    lines.add(move(gvkeys.get(6), days.get(6), gvkeys.get(6), days.get(7)));
    lines.add(move(gvkeys.get(6), days.get(7), gvkeys.get(6), days.get(6)));
    // Duplicate lines, as an at-least-once export writes them.
    List<String> dups = new ArrayList<>(lines.subList(0, 25));
    lines.addAll(dups);
    // Two malformed lines: they go to the dead-letter files with their reasons.
    lines.add("{\"gvkey\":\"003000\",\"datadate\":\"2024-13-45\",\"_op\":\"INSERT\",\"_sequence_num\":" + (++sequence) + "}");
    lines.add("{\"gvkey\":\"003000\",\"datadate\":\"2024-01-02\",\"_op\":\"UPSERT\"");
    Collections.shuffle(lines, random);
    return lines;
  }

  private String row(String gvkey, LocalDate day, String op) {
    double close = 1000 + random.nextInt(400000) / 100.0;
    double hi = close + random.nextInt(2000) / 100.0;
    double lo = close - random.nextInt(2000) / 100.0;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "{\"gvkey\":\"%s\",\"datadate\":\"%s\",\"spihi\":%.2f,\"spilo\":%.2f,\"spinumn\":%d,\"spinumo\":%d,\"spiprc\":\"%.4f\"",
        gvkey, day, hi, lo, 400 + random.nextInt(100), 390 + random.nextInt(100), close));
    if (op != null) {
      sb.append(",\"_op\":\"").append(op).append("\",\"_sequence_num\":").append(++sequence);
    }
    return sb.append('}').toString();
  }

  private String delete(String gvkey, LocalDate day) {
    return String.format(Locale.ROOT,
        "{\"gvkey\":\"%s\",\"datadate\":\"%s\",\"_op\":\"DELETE\",\"_sequence_num\":%d}", gvkey, day, ++sequence);
  }

  private String move(String fromGvkey, LocalDate fromDay, String gvkey, LocalDate day) {
    String r = row(gvkey, day, "UPDATE");
    return r.substring(0, r.length() - 1)
        + String.format(Locale.ROOT, ",\"_before_gvkey\":\"%s\",\"_before_datadate\":\"%s\"}", fromGvkey, fromDay);
  }
}
