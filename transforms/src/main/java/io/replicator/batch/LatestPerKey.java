package io.replicator.batch;

import io.replicator.change.Change;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps, for every key, what the merge needs of its changes: the change that {@link
 * Change#supersedes supersedes} all others, or, where partial changes (which leave some columns
 * unchanged) came after the latest full one, that one and them. The result is the same
 * for any order of the input and any number of duplicates in it. One pass over the input: some
 * runners' grouped values can be iterated only once.
 *
 * <pre>{@code
 * LatestPerKey latest = new LatestPerKey();
 * changes.forEach(latest::add);
 * List<Change> winners = latest.sortedByKey();
 * }</pre>
 */
public final class LatestPerKey implements java.io.Serializable {
  /** Per key, the latest change that sets every column (or deletes). */
  private final Map<String, Change> latest = new HashMap<>();
  /** Per key with partial changes above its latest full one: those, in no order. */
  private final Map<String, List<Change>> partials = new HashMap<>();
  private long added;

  public void add(Change c) {
    added++;
    if (c.isPartial()) {
      Change base = latest.get(c.key());
      if (base == null || c.supersedes(base)) {
        List<Change> above = partials.computeIfAbsent(c.key(), k -> new ArrayList<>(2));
        if (!above.contains(c)) {
          above.add(c);
        }
      }
      return;
    }
    Change now = latest.merge(c.key(), c, (old, next) -> next.supersedes(old) ? next : old);
    List<Change> above = partials.get(c.key());
    if (above != null) {
      above.removeIf(p -> !p.supersedes(now));
      if (above.isEmpty()) {
        partials.remove(c.key());
      }
    }
  }

  /** Adds another accumulator's changes; its count of changes seen is added to this one's. */
  public void addAll(LatestPerKey other) {
    long before = added;
    other.winners().forEach(this::add);
    added = before + other.added;
  }

  /** The number of keys. */
  public int size() {
    int n = latest.size();
    for (String key : partials.keySet()) {
      if (!latest.containsKey(key)) {
        n++;
      }
    }
    return n;
  }

  /**
   * What the merge applies, per key: the latest full change, then (where partial changes came after
   * it) those in sequence order, each a change of its own. They are not folded into one row here:
   * which of them the target already holds is known only to the merge (a replay mixed with new
   * changes), and a column's value must come from the latest change that set it after that. A
   * key's changes are adjacent, oldest first; keys are in no order. Adding them to an empty
   * accumulator rebuilds this one.
   */
  public List<Change> winners() {
    if (partials.isEmpty()) {
      return new ArrayList<>(latest.values());
    }
    List<Change> out = new ArrayList<>(size() + partials.size());
    for (Change c : latest.values()) {
      if (!partials.containsKey(c.key())) {
        out.add(c);
      }
    }
    partials.forEach((key, above) -> {
      Change base = latest.get(key);
      if (base != null) {
        out.add(base);
      }
      List<Change> ordered = new ArrayList<>(above);
      ordered.sort((a, b) -> a.supersedes(b) ? 1 : b.supersedes(a) ? -1 : 0);
      out.addAll(ordered);
    });
    return out;
  }

  void setAdded(long added) {
    this.added = added;
  }

  /** How many changes were added, duplicates and superseded ones included. */
  public long added() {
    return added;
  }

  /**
   * {@link #winners} in a fixed order of their keys (a key's changes stay adjacent and in order) so
   * that what follows is deterministic.
   */
  public List<Change> sortedByKey() {
    List<Change> winners = winners();
    // By the key's hash first, then the key: keys share long prefixes, so comparing them alone is
    // most of a sort's time. Hash and position packed in a long sort as primitives; only runs of
    // equal hashes are then compared by key. The hash is specified by the JLS.
    int n = winners.size();
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      order[i] = ((long) winners.get(i).key().hashCode() << 32) | i;
    }
    java.util.Arrays.sort(order);
    List<Change> out = new ArrayList<>(n);
    for (int i = 0; i < n; ) {
      int j = i + 1;
      while (j < n && (order[j] >> 32) == (order[i] >> 32)) {
        j++;
      }
      int from = out.size();
      for (int k = i; k < j; k++) {
        out.add(winners.get((int) order[k]));
      }
      if (j - i > 1) {
        // Stable, so a key's changes keep their order (oldest first).
        out.subList(from, out.size()).sort((a, b) -> a.key().compareTo(b.key()));
      }
      i = j;
    }
    return out;
  }

  /** {@link #sortedByKey} of {@code changes}. */
  public static List<Change> of(Iterable<Change> changes) {
    LatestPerKey latest = new LatestPerKey();
    changes.forEach(latest::add);
    return latest.sortedByKey();
  }
}
