package io.replicator.testing;

import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.Warehouse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A random history of changes to source tables, as the Debezium PostgreSQL connector writes them,
 * and the tables' state after it. Tables have the columns {@code id} (key), {@code "select"} (a
 * reserved word) and {@code größe} (non-ASCII). Histories include key changes in both shapes the
 * connector uses (an update whose before image holds the old key; a delete and a create), deletes,
 * re-inserts of deleted keys, and several changes to a key in one transaction.
 */
public final class DebeziumHistory {
  /** The BigQuery JSON schema of every generated table; the key is {@code id}. */
  public static final String SCHEMA_JSON = "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},"
      + "{\"name\":\"select\",\"type\":\"STRING\"},{\"name\":\"größe\",\"type\":\"INT64\"}]";

  /** Events in source order. */
  public final List<String> events = new ArrayList<>();
  /** table → id → row as {@code id|select|größe} text. */
  public final Map<String, TreeMap<Long, String>> state = new HashMap<>();

  private final Random random;
  private long lsn = 1_000_000;
  private long millis = 1_700_000_000_000L;

  public DebeziumHistory(long seed) {
    this.random = new Random(seed);
  }

  /** Appends {@code transactions} random transactions over {@code tables}, each over ids below {@code keys}. */
  public DebeziumHistory generate(List<String> tables, int transactions, int keys) {
    for (String t : tables) {
      state.computeIfAbsent(t, k -> new TreeMap<>());
    }
    for (int tx = 0; tx < transactions; tx++) {
      long commit = lsn + 1 + random.nextInt(50);
      int changes = 1 + random.nextInt(3);
      for (int i = 0; i < changes; i++) {
        String table = tables.get(random.nextInt(tables.size()));
        change(table, random.nextInt(keys), keys, commit);
      }
      lsn = commit + 100;
      millis += 1 + random.nextInt(1000);
    }
    return this;
  }

  private void change(String table, long id, int keys, long commit) {
    TreeMap<Long, String> rows = state.get(table);
    String before = rows.get(id);
    lsn += 1 + random.nextInt(5);
    if (before == null) {
      String after = row(id);
      events.add(event(table, "c", null, after, commit));
      rows.put(id, after);
      return;
    }
    int what = random.nextInt(10);
    if (what < 5) {
      String after = row(id);
      events.add(event(table, "u", random.nextBoolean() ? before : null, after, commit));
      rows.put(id, after);
    } else if (what < 7) {
      events.add(event(table, "d", before, null, commit));
      events.add(null); // The tombstone the connector writes after a delete.
      rows.remove(id);
    } else {
      long to = random.nextInt(keys * 2);
      if (rows.containsKey(to)) {
        return;
      }
      String after = row(to);
      if (random.nextBoolean()) {
        events.add(event(table, "u", before, after, commit));
      } else {
        events.add(event(table, "d", before, null, commit));
        lsn++;
        events.add(event(table, "c", null, after, commit));
      }
      rows.remove(id);
      rows.put(to, after);
    }
  }

  private String row(long id) {
    String[] words = {"a", "Zoë", "naïve café", "\"quoted\"", "line\nbreak", "数据", "back\\slash", ""};
    String select = random.nextInt(8) == 0 ? null : words[random.nextInt(words.length)] + random.nextInt(100);
    Long size = random.nextInt(6) == 0 ? null : (long) random.nextInt(1_000_000) - 500_000;
    return id + "|" + select + "|" + size;
  }

  private String event(String table, String op, String before, String after, long commit) {
    return DebeziumEvents.postgres(table, op, json(before), json(after), commit, lsn, millis);
  }

  private static String json(String row) {
    if (row == null) {
      return "null";
    }
    String[] p = row.split("\\|", -1);
    return "{\"id\":" + p[0] + ",\"select\":" + (p[1].equals("null") ? "null" : DebeziumEvents.quote(p[1])) + ",\"größe\":" + p[2] + "}";
  }

  /** A target's rows as {@link #state} holds them: id → its column values joined by {@code |}. */
  public static TreeMap<Long, String> rows(Warehouse warehouse, TargetTable table) {
    TreeMap<Long, String> rows = new TreeMap<>();
    warehouse.forEachRow(table, v -> rows.put(Long.parseLong(v[0]), String.join("|", v)));
    return rows;
  }

  /** A heartbeat event, which carries no change. */
  public static String heartbeat() {
    return "{\"schema\":null,\"payload\":{\"ts_ms\":1700000000000}}";
  }
}
