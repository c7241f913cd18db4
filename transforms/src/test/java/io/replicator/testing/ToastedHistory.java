package io.replicator.testing;

import static io.replicator.testing.DebeziumEvents.quote;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;


/**
 * A PostgreSQL table with large (TOASTed) text, JSON and bytea columns, changed the way a database
 * does and written as Debezium's PostgreSQL connector writes it under {@code REPLICA IDENTITY
 * DEFAULT}: an UPDATE that does not touch a TOASTed column carries the connector's placeholder in
 * its place (text and JSON as the text, bytea as its base64), inserts carry whole rows, deletes
 * the key, and a key change is a delete of the old key and an insert of the new. {@link #state} is
 * the table after the last change: what the target must end with, placeholder-free.
 */
public final class ToastedHistory {
  public static final String PLACEHOLDER = "__debezium_unavailable_value";
  public static final String SCHEMA_JSON = "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},"
      + "{\"name\":\"title\",\"type\":\"STRING\"},{\"name\":\"body\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},"
      + "{\"name\":\"doc\",\"type\":\"JSON\"},{\"name\":\"blob\",\"type\":\"BYTES\"},{\"name\":\"n\",\"type\":\"INT64\"}]";
  /** The columns PostgreSQL may leave out of an UPDATE (TOASTed), in their placeholder forms. */
  private static final Map<String, String> TOASTED = Map.of(
      "body", quote(PLACEHOLDER), "doc", quote(PLACEHOLDER),
      "blob", quote(Base64.getEncoder().encodeToString(PLACEHOLDER.getBytes(StandardCharsets.UTF_8))));

  /** Whether an event leaves a column out: it holds a placeholder, as text or as bytes in base64. */
  public static boolean leavesColumnsOut(String event) {
    return event.contains(PLACEHOLDER) || event.contains(TOASTED.get("blob"));
  }

  /** Events in source order. */
  public final List<String> events = new ArrayList<>();
  /** The key of each event, as a keyed topic would partition it. */
  public final List<Long> keys = new ArrayList<>();
  /** Indexes of both halves of each key change split in two at one LSN (as the connector's headers mark them). */
  public final java.util.Set<Integer> splitHalves = new java.util.HashSet<>();
  /** id → column → value as the target renders it ({@code null} for NULL; BYTES in base64). */
  public final TreeMap<Long, Map<String, String>> state = new TreeMap<>();

  private final Random random;
  private long lsn = 5_000_000;
  private int version;
  private boolean movesInUpdates;
  private boolean splitMovesLeaveColumnsOut;

  public ToastedHistory(long seed) {
    this.random = new Random(seed);
  }

  /**
   * Key changes as one {@code u} event whose {@code before} holds the old key only (as REPLICA
   * IDENTITY DEFAULT logs it) and whose row leaves TOASTed columns it did not touch out, instead of
   * Debezium's default delete and create.
   */
  public ToastedHistory movingKeysInUpdates() {
    this.movesInUpdates = true;
    return this;
  }

  /**
   * Key changes as the connector writes them by default, a delete of the old key and a create of
   * the new one, both at the update's LSN, the create leaving out (as placeholders) the TOASTed
   * columns the update did not touch; the delete's {@code before} holds the old key only.
   */
  public ToastedHistory splittingKeyMovesLeavingColumnsOut() {
    this.splitMovesLeaveColumnsOut = true;
    return this;
  }

  /** Appends {@code transactions} transactions of one to three changes over ids below {@code keys}. */
  public ToastedHistory generate(int transactions, int keys) {
    for (int tx = 0; tx < transactions; tx++) {
      long commit = lsn + 1 + random.nextInt(50);
      for (int i = random.nextInt(3); i >= 0; i--) {
        change(random.nextInt(keys), keys, commit);
      }
      lsn = commit + 100;
    }
    return this;
  }

  private void change(long id, int keys, long commit) {
    lsn += 1 + random.nextInt(5);
    Map<String, String> before = state.get(id);
    if (before == null) {
      Map<String, String> row = row(id);
      event(id, "c", "null", json(row, Map.of()), commit);
      state.put(id, row);
      return;
    }
    int what = random.nextInt(10);
    if (what < 6) {
      // An update: title and n always sent; each TOASTed column changed, or left out as the placeholder.
      Map<String, String> after = new LinkedHashMap<>(before);
      Map<String, String> left = new LinkedHashMap<>();
      Map<String, String> fresh = row(id);
      after.put("title", fresh.get("title"));
      after.put("n", fresh.get("n"));
      for (String c : List.of("body", "doc", "blob")) {
        if (random.nextInt(3) == 0) {
          after.put(c, fresh.get(c));
        } else {
          left.put(c, TOASTED.get(c));
        }
      }
      event(id, "u", "null", json(after, left), commit);
      state.put(id, after);
    } else if (what < 8) {
      event(id, "d", "{\"id\":" + id + "}", "null", commit);
      state.remove(id);
    } else {
      long to = random.nextInt(keys * 2);
      if (state.containsKey(to)) {
        return;
      }
      Map<String, String> moved = new LinkedHashMap<>(before);
      moved.put("id", Long.toString(to));
      if (movesInUpdates) {
        Map<String, String> left = new LinkedHashMap<>();
        moved.put("title", row(to).get("title"));
        for (String c : List.of("body", "doc", "blob")) {
          if (random.nextInt(4) != 0) {
            left.put(c, TOASTED.get(c));
          }
        }
        event(to, "u", "{\"id\":" + id + "}", json(moved, left), commit);
        state.remove(id);
        state.put(to, moved);
        return;
      }
      if (splitMovesLeaveColumnsOut) {
        splitHalves.add(events.size());
        splitHalves.add(events.size() + 1);
      }
      event(id, "d", "{\"id\":" + id + "}", "null", commit);
      if (splitMovesLeaveColumnsOut) {
        Map<String, String> left = new LinkedHashMap<>();
        for (String c : List.of("body", "doc", "blob")) {
          if (random.nextInt(4) != 0) {
            left.put(c, TOASTED.get(c));
          }
        }
        event(to, "c", "null", json(moved, left), commit);
      } else {
        lsn++;
        event(to, "c", "null", json(moved, Map.of()), commit);
      }
      state.remove(id);
      state.put(to, moved);
    }
  }

  private Map<String, String> row(long id) {
    version++;
    String[] words = {"Zoë", "naïve café", "\"quoted\"", "line\nbreak", "数据", "back\\slash", ""};
    Map<String, String> row = new LinkedHashMap<>();
    row.put("id", Long.toString(id));
    row.put("title", random.nextInt(6) == 0 ? null : words[random.nextInt(words.length)] + version);
    row.put("body", "a long body " + version + " " + "x".repeat(random.nextInt(40)));
    row.put("doc", random.nextInt(5) == 0 ? null : "{\"v\":" + version + ",\"w\":" + quote(words[random.nextInt(5)]) + "}");
    row.put("blob", random.nextInt(5) == 0 ? null
        : Base64.getEncoder().encodeToString(("bytes " + version).getBytes(StandardCharsets.UTF_8)));
    row.put("n", random.nextInt(6) == 0 ? null : Long.toString(random.nextInt(1000) - 500));
    return row;
  }

  /** The row as the connector writes it: {@code left} holds the placeholders of columns not sent. */
  private static String json(Map<String, String> row, Map<String, String> left) {
    StringBuilder sb = new StringBuilder("{\"id\":").append(row.get("id"));
    for (String c : List.of("title", "body", "doc", "blob", "n")) {
      sb.append(",\"").append(c).append("\":");
      String v = row.get(c);
      if (left.containsKey(c)) {
        sb.append(left.get(c));
      } else if (v == null) {
        sb.append("null");
      } else {
        sb.append(c.equals("n") ? v : quote(v));
      }
    }
    return sb.append('}').toString();
  }

  private void event(long id, String op, String before, String after, long commit) {
    events.add(DebeziumEvents.postgres("docs", op, before, after, commit, lsn, 1_700_000_000_000L + lsn));
    keys.add(id);
  }

  /** {@link #state} as rows {@code id|title|body|doc|blob|n}, sorted as text. */
  public List<String> rows() {
    List<String> rows = new ArrayList<>();
    for (Map<String, String> row : state.values()) {
      rows.add(String.join("|", row.values().stream().map(String::valueOf).toList()));
    }
    rows.sort(null);
    return rows;
  }

  /** The SQL (DuckDB) that selects a target table's live rows as {@link #rows} renders them. */
  public static String selectRows(String table, boolean softDeletes) {
    return "SELECT id, title, body, CAST(doc AS VARCHAR), base64(blob), n FROM " + table
        + (softDeletes ? " WHERE NOT _is_deleted" : "");
  }
}
