package io.replicator.pipelines.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The benchmark's data: a {@code spind_dly}-shaped table with three wide text columns, as a JSONL
 * snapshot of {@code rows} rows at sequence 1, and a native change batch of a tenth of that
 * (updates, deletes and key changes, sequences above the snapshot's). Deterministic.
 */
final class BenchData {
  static final String SCHEMA = """
      [{"name":"gvkey","type":"STRING","mode":"REQUIRED"},{"name":"datadate","type":"DATE","mode":"REQUIRED"},
       {"name":"spihi","type":"FLOAT64"},{"name":"spilo","type":"FLOAT64"},{"name":"spinumn","type":"INT64"},
       {"name":"spinumo","type":"INT64"},{"name":"spiprc","type":"NUMERIC"},{"name":"conm","type":"STRING"},
       {"name":"indexdesc","type":"STRING"},{"name":"notes","type":"STRING"}]
      """;
  static final String KEYS = "gvkey,datadate";
  private static final int INDEXES = 500;
  private static final LocalDate FIRST_DAY = LocalDate.of(1990, 1, 1);

  final Path schema;
  final Path snapshot;
  final Path changes;
  final long rows;
  final long changeLines;

  private BenchData(Path dir, long rows, long changeLines) {
    this.schema = dir.resolve("schema.json");
    this.snapshot = dir.resolve("snapshot.jsonl");
    this.changes = dir.resolve("changes.jsonl");
    this.rows = rows;
    this.changeLines = changeLines;
  }

  static BenchData generate(Path dir, long rows) throws IOException {
    Files.createDirectories(dir);
    BenchData d = new BenchData(dir, rows, rows / 10);
    Files.writeString(d.schema, SCHEMA);
    SplittableRandom random = new SplittableRandom(42);
    StringBuilder sb = new StringBuilder(512);
    try (BufferedWriter w = Files.newBufferedWriter(d.snapshot, StandardCharsets.UTF_8)) {
      for (long i = 0; i < rows; i++) {
        sb.setLength(0);
        row(sb, i % INDEXES, FIRST_DAY.plusDays(i / INDEXES), random);
        w.append(sb.append("}\n"));
      }
    }
    try (BufferedWriter w = Files.newBufferedWriter(d.changes, StandardCharsets.UTF_8)) {
      long sequence = 1;
      for (long c = 0; c < d.changeLines; c++) {
        long i = random.nextLong(rows);
        long index = i % INDEXES;
        LocalDate day = FIRST_DAY.plusDays(i / INDEXES);
        int kind = random.nextInt(10);
        sb.setLength(0);
        if (kind < 6) { // an update in place
          row(sb, index, day, random);
          sb.append(",\"_op\":\"UPDATE\"");
        } else if (kind < 8) { // a delete
          sb.append("{\"gvkey\":\"").append(gvkey(index)).append("\",\"datadate\":\"").append(day).append("\",\"_op\":\"DELETE\"");
        } else { // a key change: the row moves to a day far past the snapshot's
          row(sb, index, day.plusYears(200).plusDays(c % 97), random);
          sb.append(",\"_op\":\"UPDATE\",\"_before_gvkey\":\"").append(gvkey(index))
              .append("\",\"_before_datadate\":\"").append(day).append('"');
        }
        w.append(sb.append(",\"_sequence_num\":").append(++sequence).append("}\n"));
      }
    }
    return d;
  }

  private static String gvkey(long index) {
    return String.format(Locale.ROOT, "%06d", 1000 + index);
  }

  private static void row(StringBuilder sb, long index, LocalDate day, SplittableRandom r) {
    double close = 100 + r.nextInt(500_000) / 100.0;
    sb.append("{\"gvkey\":\"").append(gvkey(index)).append("\",\"datadate\":\"").append(day)
        .append("\",\"spihi\":").append(close + r.nextInt(1000) / 100.0)
        .append(",\"spilo\":").append(close - r.nextInt(1000) / 100.0)
        .append(",\"spinumn\":").append(400 + r.nextInt(100))
        .append(",\"spinumo\":").append(390 + r.nextInt(100))
        .append(",\"spiprc\":\"").append(String.format(Locale.ROOT, "%.4f", close))
        .append("\",\"conm\":\"S&P Composite Index Series ").append(index)
        .append("\",\"indexdesc\":\"Daily index levels, constituents and pricing for series ").append(index)
        .append("\",\"notes\":\"").append(r.nextInt(3) == 0 ? "Rebalanced; constituents changed 한국" : "Regular trading day")
        .append('"');
  }
}
