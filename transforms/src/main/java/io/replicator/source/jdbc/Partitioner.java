package io.replicator.source.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;

/**
 * Splits a source table into key ranges that snapshot readers read in parallel. Split points come
 * from the data, so keys of any type (numbers, text, dates, composite keys) split evenly: on
 * PostgreSQL from a sample of the table ({@code TABLESAMPLE}), elsewhere from a scan of the key
 * columns.
 */
public final class Partitioner {
  /** Rows a partition gets by default. */
  static final long ROWS_PER_PARTITION = 250_000;
  static final int MAX_PARTITIONS = 256;
  /** Sampled keys per partition: enough for even quantiles. */
  private static final int SAMPLES_PER_PARTITION = 200;

  private Partitioner() {}

  /** The table's row count as the database estimates it (PostgreSQL statistics), or -1. */
  public static long estimateRows(Connection c, JdbcSource source, SourceTable table) throws SQLException {
    if (!source.isPostgres() || !table.isTable()) {
      return -1;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, table.quotedTable());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  /**
   * About how many bytes a table's rows take as staged JSON: twice its size on disk in PostgreSQL
   * (JSON text spells out names and numbers), or -1 when unknown (another database, or a query).
   */
  public static long estimateStagedBytes(Connection c, JdbcSource source, SourceTable table) throws SQLException {
    if (!source.isPostgres() || !table.isTable()) {
      return -1;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_relation_size(?::regclass)")) {
      ps.setString(1, table.quotedTable());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? 2 * rs.getLong(1) : -1;
      }
    }
  }

  /** How many partitions a table of about {@code rows} rows gets when none is asked for. */
  public static int defaultPartitions(long rows) {
    if (rows <= 0) {
      return 1;
    }
    return (int) Math.max(1, Math.min(MAX_PARTITIONS, (rows + ROWS_PER_PARTITION - 1) / ROWS_PER_PARTITION));
  }

  /** Up to {@code partitions} key ranges covering the whole table, in key order. */
  public static List<KeyRange> plan(Connection c, JdbcSource source, SourceTable table, int partitions, long rows)
      throws SQLException {
    if (partitions <= 1) {
      return List.of(KeyRange.all());
    }
    List<Object[]> sample = sampleKeys(c, source, table, partitions, rows);
    List<KeyRange> ranges = new ArrayList<>();
    Object[] lower = null;
    for (int p = 1; p < partitions && !sample.isEmpty(); p++) {
      Object[] split = sample.get((int) ((long) p * sample.size() / partitions));
      if (lower != null && Arrays.equals(lower, split)) {
        continue; // a heavy key value: no empty ranges
      }
      ranges.add(new KeyRange(lower, split));
      lower = split;
    }
    ranges.add(new KeyRange(lower, null));
    return ranges;
  }

  private static List<Object[]> sampleKeys(Connection c, JdbcSource source, SourceTable table, int partitions,
      long rows) throws SQLException {
    List<String> keys = keyRefs(table, c);
    String keyList = String.join(", ", keys);
    String sql;
    if (source.isPostgres() && table.isTable() && rows > 0) {
      double percent = Math.min(100.0, 100.0 * partitions * SAMPLES_PER_PARTITION / rows);
      sql = "SELECT " + keyList + " FROM " + table.quotedTable() + " q TABLESAMPLE BERNOULLI ("
          + String.format(java.util.Locale.ROOT, "%.6f", percent) + ") REPEATABLE (7) ORDER BY " + keyList;
    } else {
      sql = "SELECT " + keyList + " FROM " + table.from() + " ORDER BY " + keyList;
    }
    List<Object[]> out = new ArrayList<>();
    long seen = 0;
    long step = rows > 0 && !source.isPostgres() ? Math.max(1, rows / ((long) partitions * SAMPLES_PER_PARTITION)) : 1;
    try (Statement st = c.createStatement()) {
      st.setFetchSize(10_000);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          if (seen++ % step == 0) {
            Object[] key = new Object[keys.size()];
            for (int i = 0; i < key.length; i++) {
              key[i] = rs.getObject(i + 1);
            }
            out.add(key);
          }
        }
      }
    }
    return out;
  }

  static List<String> keyRefs(SourceTable table, Connection c) throws SQLException {
    String quote = c.getMetaData().getIdentifierQuoteString().trim();
    List<String> refs = new ArrayList<>();
    for (String k : table.schema().keyColumns()) {
      refs.add("q." + SourceTable.quote(quote, k));
    }
    return refs;
  }

  /**
   * The WHERE clause of a range, with a {@code ?} per bound value: a row comparison, written out
   * so that every database understands it.
   */
  static String where(List<String> keys, KeyRange range) {
    StringJoiner where = new StringJoiner(" AND ");
    if (range.lower() != null) {
      where.add(compare(keys, ">", ">="));
    }
    if (range.upper() != null) {
      where.add(compare(keys, "<", "<"));
    }
    return where.length() == 0 ? "TRUE" : where.toString();
  }

  /** (k1, k2, ...) op (?, ?, ...) as: k1 strict ? OR (k1 = ? AND (k2 ... last ?)). */
  private static String compare(List<String> keys, String strict, String last) {
    StringBuilder sb = new StringBuilder();
    int n = keys.size();
    for (int i = 0; i < n; i++) {
      if (i == n - 1) {
        sb.append(keys.get(i)).append(' ').append(last).append(" ?");
      } else {
        sb.append('(').append(keys.get(i)).append(' ').append(strict).append(" ? OR (")
            .append(keys.get(i)).append(" = ? AND ");
      }
    }
    for (int i = 0; i < n - 1; i++) {
      sb.append("))");
    }
    return "(" + sb + ")";
  }

  /** The parameters {@link #where} expects, in order. */
  static List<Object> parameters(KeyRange range) {
    List<Object> params = new ArrayList<>();
    for (Object[] bound : new Object[][] {range.lower(), range.upper()}) {
      if (bound == null) {
        continue;
      }
      for (int i = 0; i < bound.length; i++) {
        params.add(bound[i]);
        if (i < bound.length - 1) {
          params.add(bound[i]); // once for "k >/< ?", once for "k = ?"
        }
      }
    }
    return params;
  }
}
