package io.replicator.batch;

import io.replicator.change.Change;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps, for every key, only the change that {@link Change#supersedes supersedes} all others. The
 * result is the same for any order of the input and any number of duplicates in it. One pass over
 * the input: some runners' grouped values can be iterated only once.
 *
 * <pre>{@code
 * LatestPerKey latest = new LatestPerKey();
 * changes.forEach(latest::add);
 * List<Change> winners = latest.sortedByKey();
 * }</pre>
 */
public final class LatestPerKey implements java.io.Serializable {
  private final Map<String, Change> latest = new HashMap<>();
  private long added;

  public void add(Change c) {
    added++;
    latest.merge(c.key(), c, (old, now) -> now.supersedes(old) ? now : old);
  }

  /** Adds another accumulator's winners; its count of changes seen is added to this one's. */
  public void addAll(LatestPerKey other) {
    long before = added;
    other.latest.values().forEach(this::add);
    added = before + other.added;
  }

  /** The number of keys. */
  public int size() {
    return latest.size();
  }

  /** The winners, in no order. */
  public Iterable<Change> winners() {
    return latest.values();
  }

  void setAdded(long added) {
    this.added = added;
  }

  /** How many changes were added, duplicates and superseded ones included. */
  public long added() {
    return added;
  }

  /** The winning change per key, sorted by key so that what follows is deterministic. */
  public List<Change> sortedByKey() {
    List<Change> out = new ArrayList<>(latest.values());
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out;
  }

  /** The winning change per key of {@code changes}, sorted by key. */
  public static List<Change> of(Iterable<Change> changes) {
    LatestPerKey latest = new LatestPerKey();
    changes.forEach(latest::add);
    return latest.sortedByKey();
  }
}
