package io.replicator.verify;

import io.replicator.batch.StageBatches;
import io.replicator.change.Change;
import io.replicator.change.Json;
import io.replicator.common.Counters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * Compares the rows of a source with the rows of a target: per group of keys (a hash of the key),
 * the row count and an order-independent fingerprint (a sum of row hashes), and, for a group that
 * differs, the keys that differ. A group is held in memory as keys and hashes while it is compared. Outputs one JSON line per differing group; counters say how many rows each side has.
 *
 * <pre>{@code
 * PCollection<String> differences = PCollectionList.of(sourceRows).and(targetRows)
 *     .apply(CompareTables.inGroups(16));
 * }</pre>
 *
 * <p>Rows are compared in their canonical JSON form, so the two sides may be different systems. A
 * third collection, when given, holds the keys of source rows that could not be read (their
 * changes carry only a key): such a key is neither missing nor extra nor different, since the
 * source's row is not known; it is counted apart.
 */
public final class CompareTables extends PTransform<PCollectionList<Change>, PCollection<String>> {
  public static final String SOURCE_ROWS = "verify_source_rows";
  public static final String TARGET_ROWS = "verify_target_rows";
  public static final String GROUPS_DIFFERING = "verify_groups_differing";
  public static final String KEYS_DIFFERING = "verify_keys_differing";
  /** Keys of source rows that could not be read (rejected), which are not compared. */
  public static final String KEYS_REJECTED = "verify_keys_rejected_at_source";
  /** Keys named per differing group; the counters have the totals. */
  static final int EXAMPLES = 10;


  private final int groups;

  private CompareTables(int groups) {
    this.groups = groups;
  }

  /** Compares in {@code groups} groups of keys: more groups, smaller ones to search on a mismatch. */
  public static CompareTables inGroups(int groups) {
    if (groups < 1) {
      throw new IllegalArgumentException("at least one group of keys, got " + groups);
    }
    return new CompareTables(groups);
  }

  /**
   * Compares {@code rows.get(0)}, the source, with {@code rows.get(1)}, the target; keys in
   * {@code rows.get(2)}, when given, are not compared.
   */
  @Override
  public PCollection<String> expand(PCollectionList<Change> rows) {
    if (rows.size() != 2 && rows.size() != 3) {
      throw new IllegalArgumentException("CompareTables takes the source's rows, the target's, and optionally the"
          + " keys of source rows that could not be read");
    }
    var coder = KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    // Each row's key carries its side ('S' or 'T') so that one GroupByKey, read in one pass, sees
    // both sides: some runners' grouped values can be iterated only once.
    PCollection<KV<Integer, KV<String, Long>>> s = rows.get(0)
        .apply("Fingerprint source", ParDo.of(new FingerprintFn(groups, 'S', SOURCE_ROWS))).setCoder(coder);
    PCollection<KV<Integer, KV<String, Long>>> t = rows.get(1)
        .apply("Fingerprint target", ParDo.of(new FingerprintFn(groups, 'T', TARGET_ROWS))).setCoder(coder);
    PCollectionList<KV<Integer, KV<String, Long>>> sides = PCollectionList.of(s).and(t);
    if (rows.size() == 3) {
      sides = sides.and(rows.get(2)
          .apply("Group rejected keys", ParDo.of(new FingerprintFn(groups, 'R', null))).setCoder(coder));
    }
    return sides
        .apply("Both sides", Flatten.pCollections())
        .apply("Group keys", GroupByKey.create())
        .apply("Compare groups", ParDo.of(new CompareFn()))
        .setCoder(StringUtf8Coder.of());
  }

  private static final class FingerprintFn extends DoFn<Change, KV<Integer, KV<String, Long>>> {
    private final int groups;
    private final char side;
    private final Counter rows;

    FingerprintFn(int groups, char side, String counter) {
      this.groups = groups;
      this.side = side;
      this.rows = counter == null ? null : Counters.counter(counter);
    }

    @ProcessElement
    public void process(@Element Change c, OutputReceiver<KV<Integer, KV<String, Long>>> out) {
      if (rows != null) {
        rows.inc();
      }
      long hash = side == 'R' ? 0 : RowFingerprint.of(c.rowJson());
      out.output(KV.of(StageBatches.batchOf(c.key(), groups), KV.of(side + c.key(), hash)));
    }
  }

  private static final class CompareFn extends DoFn<KV<Integer, Iterable<KV<String, Long>>>, String> {
    private final Counter groupsDiffering = Counters.counter(GROUPS_DIFFERING);
    private final Counter keysDiffering = Counters.counter(KEYS_DIFFERING);
    private final Counter keysRejected = Counters.counter(KEYS_REJECTED);

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, Long>>> group, OutputReceiver<String> out) {
      Map<String, Long> source = new HashMap<>();
      Map<String, Long> target = new HashMap<>();
      java.util.Set<String> rejected = new java.util.HashSet<>();
      for (KV<String, Long> kv : group.getValue()) {
        String key = kv.getKey().substring(1);
        switch (kv.getKey().charAt(0)) {
          case 'S' -> source.put(key, kv.getValue());
          case 'T' -> target.put(key, kv.getValue());
          default -> rejected.add(key);
        }
      }
      keysRejected.inc(rejected.size());
      source.keySet().removeAll(rejected);
      target.keySet().removeAll(rejected);
      long sourceSum = source.values().stream().mapToLong(Long::longValue).sum();
      long targetSum = target.values().stream().mapToLong(Long::longValue).sum();
      long sourceRows = source.size();
      long targetRows = target.size();
      if (sourceRows == targetRows && sourceSum == targetSum) {
        return;
      }
      // The group differs: find the keys.
      TreeSet<String> extra = new TreeSet<>();
      TreeSet<String> differ = new TreeSet<>();
      for (Map.Entry<String, Long> e : target.entrySet()) {
        Long hash = source.remove(e.getKey());
        if (hash == null) {
          extra.add(e.getKey());
        } else if (!hash.equals(e.getValue())) {
          differ.add(e.getKey());
        }
      }
      groupsDiffering.inc();
      TreeSet<String> missing = new TreeSet<>(source.keySet());
      keysDiffering.inc(missing.size() + extra.size() + differ.size());
      StringBuilder sb = new StringBuilder();
      sb.append("{\"group\":").append(group.getKey()).append(",\"source_rows\":").append(sourceRows)
          .append(",\"target_rows\":").append(targetRows);
      examples(sb, "missing_in_target", missing);
      examples(sb, "not_in_source", extra);
      examples(sb, "different", differ);
      out.output(sb.append('}').toString());
    }

    private static void examples(StringBuilder sb, String name, TreeSet<String> keys) {
      sb.append(",\"").append(name).append("\":").append(keys.size()).append(",\"").append(name).append("_keys\":[");
      List<String> some = new ArrayList<>(keys).subList(0, Math.min(EXAMPLES, keys.size()));
      for (int i = 0; i < some.size(); i++) {
        sb.append(i > 0 ? "," : "");
        Json.appendString(sb, some.get(i));
      }
      sb.append(']');
    }
  }
}
