package io.replicator.merge;

import io.replicator.change.Change;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps, for every key, only the change that {@link Change#supersedes supersedes} all others. The
 * result is the same for any order of the input and any number of duplicates in it.
 */
public final class LatestPerKey {
  private LatestPerKey() {}

  /** The winning change per key, sorted by key so that what follows is deterministic. */
  public static List<Change> of(Iterable<Change> changes) {
    Map<String, Change> latest = new HashMap<>();
    for (Change c : changes) {
      latest.merge(c.key(), c, (old, now) -> now.supersedes(old) ? now : old);
    }
    List<Change> out = new ArrayList<>(latest.values());
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out;
  }
}
