package io.replicator.pipelines;

import io.replicator.change.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A source table that changes the way a database does, writing each change as a native change
 * line. Its state after the last change is what the warehouse must end with, whatever is done to
 * the lines on the way (shuffles, duplicates, replays, batches).
 *
 * <p>The table has a two-column key (id INT64, region STRING) and hostile columns: a reserved word
 * ({@code select}), a Korean name ({@code 설명}) and values with Korean text, quotes, tabs,
 * backslashes and emoji. Histories mix inserts, updates, deletes, key-change chains, swaps through
 * a free key and at one sequence, away-and-back moves, and delete-then-reinsert.
 */
final class SourceSimulator {
  static final String SCHEMA = """
      [{"name":"id","type":"INT64","mode":"REQUIRED"},
       {"name":"region","type":"STRING","mode":"REQUIRED"},
       {"name":"select","type":"STRING"},
       {"name":"설명","type":"STRING"},
       {"name":"amount","type":"INT64"}]""";
  static final String KEYS = "id,region";
  private static final String[] REGIONS = {"서울", "east", "we\"st", "tab\there", "back\\slash"};
  private static final String[] WORDS = {"plain", "한국어 텍스트", "\"quoted\"", "tab\tinside", "back\\slash", "😀 emoji", "", "line\nbreak"};

  /** A row: key and values. */
  record Row(long id, String region, String select, String description, Long amount) {
    String key() {
      return id + "|" + region;
    }

    String json() {
      StringBuilder sb = new StringBuilder();
      sb.append("\"id\":").append(id).append(",\"region\":");
      Json.appendString(sb, region);
      sb.append(",\"select\":").append(select == null ? "null" : Json.quote(select));
      sb.append(",\"설명\":").append(description == null ? "null" : Json.quote(description));
      sb.append(",\"amount\":").append(amount);
      return sb.toString();
    }

    /** The row as the warehouse dump renders it. */
    String dump() {
      return id + "|" + region + "|" + select + "|" + description + "|" + amount;
    }
  }

  private final Random random;
  private final Map<String, Row> state = new TreeMap<>();
  private final List<String> lines = new ArrayList<>();
  private long sequence;
  private long nextId = 1;

  SourceSimulator(long seed, long firstSequence) {
    this.random = new Random(seed);
    this.sequence = firstSequence;
  }

  /** Applies {@code operations} random operations (some are several changes). */
  SourceSimulator run(int operations) {
    for (int i = 0; i < operations; i++) {
      int dice = random.nextInt(100);
      if (state.size() < 5 || dice < 25) {
        insert(newRow());
      } else if (dice < 45) {
        Row r = pick();
        update(r, withValues(r.id(), r.region()), ++sequence);
      } else if (dice < 57) {
        chain();
      } else if (dice < 67) {
        delete(pick());
      } else if (dice < 73) {
        Row r = pick(); // delete, then insert the same key again
        delete(r);
        insert(withValues(r.id(), r.region()));
      } else if (dice < 80) {
        Row r = pick(); // away and back
        Row away = withValues(nextId++, r.region());
        update(r, away, ++sequence);
        update(away, withValues(r.id(), r.region()), ++sequence);
      } else if (dice < 88) {
        swapThroughFreeKey();
      } else if (dice < 93) {
        swapAtOneSequence();
      } else {
        Row r = pick();
        update(r, withValues(r.id(), r.region()), ++sequence);
      }
    }
    return this;
  }

  private Row newRow() {
    return withValues(nextId++, REGIONS[random.nextInt(REGIONS.length)]);
  }

  private Row withValues(long id, String region) {
    return new Row(id, region,
        random.nextInt(6) == 0 ? null : WORDS[random.nextInt(WORDS.length)],
        random.nextInt(6) == 0 ? null : WORDS[random.nextInt(WORDS.length)] + " " + random.nextInt(1000),
        random.nextInt(8) == 0 ? null : random.nextLong() % 1_000_000_000_000L);
  }

  private Row pick() {
    List<Row> rows = new ArrayList<>(state.values());
    return rows.get(random.nextInt(rows.size()));
  }

  private void insert(Row r) {
    state.put(r.key(), r);
    lines.add("{" + r.json() + ",\"_op\":\"INSERT\",\"_sequence_num\":" + (++sequence) + "}");
  }

  private void delete(Row r) {
    state.remove(r.key());
    StringBuilder sb = new StringBuilder("{\"_op\":\"DELETE\",\"_sequence_num\":").append(++sequence);
    if (random.nextBoolean()) {
      sb.append(",\"_before_id\":").append(r.id()).append(",\"_before_region\":").append(Json.quote(r.region()));
    } else {
      sb.append(',').append(r.json()); // the deleted row's values, Data Fusion style
    }
    lines.add(sb.append('}').toString());
  }

  private void update(Row before, Row after, long seq) {
    state.remove(before.key());
    state.put(after.key(), after);
    lines.add(updateLine(before, after, seq));
  }

  private static String updateLine(Row before, Row after, long seq) {
    return "{" + after.json() + ",\"_op\":\"UPDATE\",\"_sequence_num\":" + seq
        + ",\"_before_id\":" + before.id() + ",\"_before_region\":" + Json.quote(before.region()) + "}";
  }

  /** k1 -> k2 -> k3, each onto a free key. */
  private void chain() {
    Row r = pick();
    for (int step = 0; step < 2 + random.nextInt(3); step++) {
      Row next = withValues(nextId++, REGIONS[random.nextInt(REGIONS.length)]);
      update(r, next, ++sequence);
      r = next;
    }
  }

  /** Two rows swap keys through a free key, as a database with immediate unique checks does. */
  private void swapThroughFreeKey() {
    if (state.size() < 2) {
      return;
    }
    Row a = pick();
    Row b = pick();
    if (a.key().equals(b.key())) {
      return;
    }
    Row aTemp = new Row(nextId++, a.region(), a.select(), a.description(), a.amount());
    update(a, aTemp, ++sequence);
    Row bAtA = new Row(a.id(), a.region(), b.select(), b.description(), b.amount());
    update(b, bAtA, ++sequence);
    update(aTemp, new Row(b.id(), b.region(), a.select(), a.description(), a.amount()), ++sequence);
  }

  /** Two rows swap keys in one statement whose changes share a sequence number. */
  private void swapAtOneSequence() {
    if (state.size() < 2) {
      return;
    }
    Row a = pick();
    Row b = pick();
    if (a.key().equals(b.key())) {
      return;
    }
    long seq = ++sequence;
    Row aAtB = new Row(b.id(), b.region(), a.select(), a.description(), a.amount());
    Row bAtA = new Row(a.id(), a.region(), b.select(), b.description(), b.amount());
    state.put(aAtB.key(), aAtB);
    state.put(bAtA.key(), bAtA);
    lines.add(updateLine(a, aAtB, seq));
    lines.add(updateLine(b, bAtA, seq));
  }

  List<String> lines() {
    return lines;
  }

  long sequence() {
    return sequence;
  }

  /** The current rows as snapshot lines (no _op, no sequence). */
  List<String> snapshotLines() {
    List<String> out = new ArrayList<>();
    for (Row r : state.values()) {
      out.add("{" + r.json() + "}");
    }
    return out;
  }

  /** The current rows, rendered and sorted as {@link Replication#rows} renders the target. */
  List<String> expected() {
    return state.values().stream().map(Row::dump).sorted().toList();
  }

  Random random() {
    return random;
  }
}
