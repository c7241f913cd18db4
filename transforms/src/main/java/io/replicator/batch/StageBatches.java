package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.StagedBatch;
import io.replicator.change.StagedLine;
import io.replicator.common.Counters;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts changes into batches of whole keys, keeps the latest change per key inside each batch (a
 * combine, so runners reduce before the shuffle), and
 * stages each batch as a JSONL file of at most {@code maxBytes} and {@code maxRows}.
 *
 * <p>Rows go to a batch by a hash of their key, so every change to a key meets the others in one
 * batch and batches are independent. The number of batches comes from the size of the whole input
 * (a side input), and the grouping is by batch, never by row key: a per-key GroupByKey is
 * pathological on the DirectRunner.
 *
 * <pre>{@code
 * PCollection<StagedBatch> staged =
 *     changes.apply(StageBatches.to("/tmp/staging").withMaxBytes(256 << 20).withMaxRows(1_000_000));
 * }</pre>
 *
 * <p>Files land at {@code <staging>/<table>/<batch id>/batch.jsonl}.
 */
public final class StageBatches extends PTransform<PCollection<Change>, PCollection<StagedBatch>> {
  private static final Logger LOG = LoggerFactory.getLogger(StageBatches.class);
  public static final String BATCHES_STAGED = "batches_staged";
  public static final String ROWS_STAGED = "rows_staged";
  public static final String BYTES_STAGED = "bytes_staged";
  public static final String CHANGES_SUPERSEDED = "changes_superseded";
  /** Thread CPU time spent reading spilled batches back and keeping the latest change per key. */
  public static final String REDUCE_CPU_NANOS = "reduce_cpu_nanos";
  /** Thread CPU time spent sorting reduced batches and writing them as staged files. */
  public static final String STAGE_CPU_NANOS = "stage_cpu_nanos";

  private final String staging;
  private final long maxBytes;
  private final long maxRows;

  private StageBatches(String staging, long maxBytes, long maxRows) {
    this.staging = staging;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
  }

  public static StageBatches to(String stagingDirectory) {
    if (stagingDirectory == null || stagingDirectory.isBlank()) {
      throw new IllegalArgumentException("a staging directory is required");
    }
    return new StageBatches(stagingDirectory, 256L << 20, 5_000_000L);
  }

  public StageBatches withMaxBytes(long bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("the batch size bound must be at least 1KB, got " + bytes);
    }
    return new StageBatches(staging, bytes, maxRows);
  }

  public StageBatches withMaxRows(long rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("the batch row bound must be at least 1, got " + rows);
    }
    return new StageBatches(staging, maxBytes, rows);
  }

  @Override
  public PCollection<StagedBatch> expand(PCollection<Change> changes) {
    return changes
        .apply("Latest per key", latestPerKey(maxBytes, maxRows))
        .apply("Stage", ParDo.of(new StageFn(staging, maxBytes, maxRows)))
        .setCoder(StagedBatch.coder());
  }

  /**
   * The first half of staging: changes cut into batches of whole keys (as many as the input's
   * size and the bounds call for), each reduced to the latest change per key. Keyed by
   * {@code <batch>:<table>}.
   */
  public static PTransform<PCollection<Change>, PCollection<KV<String, LatestPerKey>>> latestPerKey(
      long maxBytes, long maxRows) {
    return new PTransform<>() {
      @Override
      public PCollection<KV<String, LatestPerKey>> expand(PCollection<Change> changes) {
        // A stream measures each window; a bounded input measures all of it (and sees an empty
        // input as size 0 rather than no size).
        Combine.Globally<Change, KV<Long, Long>> measure = Combine.globally(new BatchPlan.SizeFn());
        boolean windowed = !(changes.getWindowingStrategy().getWindowFn() instanceof GlobalWindows);
        PCollectionView<Integer> batchCount =
            changes
                .apply("Measure input", windowed ? measure.withoutDefaults() : measure)
                .apply("Count batches", MapElements.into(TypeDescriptors.integers())
                    .via(size -> BatchPlan.batchCount(size.getKey(), size.getValue(), maxBytes, maxRows)))
                .apply("As side input", View.asSingleton());
        return changes
            .apply("Assign batch", ParDo.of(new AssignFn(batchCount)).withSideInputs(batchCount))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), ChangeCoder.of()))
            .apply("Latest per key", Combine.perKey(new LatestPerKeyFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), LatestPerKeyFn.AccumulatorCoder.of()));
      }
    };
  }

  /**
   * The second half of staging, for input a reader has already cut into batches and reduced to the
   * latest change per key (keyed {@code <batch>:<table>}): the readers' accumulators of one batch
   * are merged, then the batch is staged.
   */
  public static PTransform<PCollection<KV<String, LatestPerKey>>, PCollection<StagedBatch>> reduced(
      String staging, long maxBytes, long maxRows) {
    return reducedLeavingOut(staging, maxBytes, maxRows, null);
  }

  /**
   * As {@link #reduced}, with the keys {@code leftOutKeys} (ids as {@link PartialKeyMoves#id} makes
   * them; null for none) left out of the batches: a step that read their whole histories again
   * stages them ({@link CompleteKeyMoves}).
   */
  public static PTransform<PCollection<KV<String, LatestPerKey>>, PCollection<StagedBatch>> reducedLeavingOut(
      String staging, long maxBytes, long maxRows, PCollectionView<List<String>> leftOutKeys) {
    StageBatches bounds = to(staging).withMaxBytes(maxBytes).withMaxRows(maxRows);
    return new PTransform<>() {
      @Override
      public PCollection<StagedBatch> expand(PCollection<KV<String, LatestPerKey>> reducedBatches) {
        ParDo.SingleOutput<KV<String, LatestPerKey>, StagedBatch> stage =
            ParDo.of(new StageFn(bounds.staging, bounds.maxBytes, bounds.maxRows, leftOutKeys));
        return reducedBatches
            .apply("Merge readers' batches", Combine.perKey(new LatestPerKeyFn.Merging()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), LatestPerKeyFn.AccumulatorCoder.of()))
            .apply("Stage", leftOutKeys == null ? stage : stage.withSideInputs(leftOutKeys))
            .setCoder(StagedBatch.coder());
      }
    };
  }

  /**
   * The second half of staging for input {@link SpillBatches} wrote to spill files (keyed {@code
   * <batch>:<table>}): each batch is read back, reduced to the latest change per key and staged,
   * one batch in memory at a time per worker; its spill files are then removed.
   */
  public static PTransform<PCollection<KV<String, String>>, PCollection<StagedBatch>> spilled(
      String staging, long maxBytes, long maxRows) {
    return new PTransform<>() {
      @Override
      public PCollection<StagedBatch> expand(PCollection<KV<String, String>> spills) {
        return spills.apply(spilledHoldingOut(staging, maxBytes, maxRows, null)).get(STAGED);
      }
    };
  }

  /**
   * As {@link #spilled}, for spill files of many small buckets of whole keys (keyed {@code
   * <bucket>:<table>}, as a {@link SpillWriter} of a fixed count writes them): a stream's polls,
   * which cannot know how much a window will hold when they write. Each window's buckets of a table
   * are gathered in bucket order into batches of at most {@code maxBytes} of spilled changes (a
   * bucket larger than that is a batch of its own), then reduced and staged as {@link #spilled}
   * does. A key is in one bucket, so in one batch of its window.
   */
  public static PTransform<PCollection<KV<String, String>>, PCollection<StagedBatch>> spilledBuckets(
      String staging, long maxBytes, long maxRows) {
    return new PTransform<>() {
      @Override
      public PCollection<StagedBatch> expand(PCollection<KV<String, String>> spills) {
        KvCoder<String, String> files = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
        return spills
            .apply("By table", MapElements
                .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.kvs(TypeDescriptors.strings(),
                    TypeDescriptors.strings())))
                .via((KV<String, String> f) -> KV.of(f.getKey().substring(f.getKey().indexOf(':') + 1), f)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), files))
            .apply("Buckets per table", GroupByKey.create())
            .apply("Buckets into batches", ParDo.of(new BucketsIntoBatchesFn(maxBytes)))
            .setCoder(files)
            .apply("Stage", spilled(staging, maxBytes, maxRows));
      }
    };
  }

  /** Gathers a table's bucket files, in bucket order, into batches of at most {@code maxBytes}. */
  static final class BucketsIntoBatchesFn extends DoFn<KV<String, Iterable<KV<String, String>>>, KV<String, String>> {
    private final long maxBytes;

    BucketsIntoBatchesFn(long maxBytes) {
      this.maxBytes = maxBytes;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<KV<String, String>>> table, OutputReceiver<KV<String, String>> out)
        throws IOException {
      TreeMap<Integer, List<String>> buckets = new TreeMap<>();
      List<String> all = new ArrayList<>();
      for (KV<String, String> f : table.getValue()) {
        String key = f.getKey();
        buckets.computeIfAbsent(Integer.parseInt(key.substring(0, key.indexOf(':'))), b -> new ArrayList<>())
            .add(f.getValue());
        all.add(f.getValue());
      }
      Map<String, Long> sizes = new HashMap<>();
      List<MatchResult> matched = FileSystems.match(all);
      for (int i = 0; i < all.size(); i++) {
        sizes.put(all.get(i), matched.get(i).metadata().get(0).sizeBytes());
      }
      int batch = -1;
      long bytes = 0;
      for (Map.Entry<Integer, List<String>> bucket : buckets.entrySet()) {
        long size = bucket.getValue().stream().mapToLong(sizes::get).sum();
        if (batch < 0 || bytes + size > maxBytes) {
          batch = bucket.getKey();
          bytes = 0;
        }
        bytes += size;
        for (String file : bucket.getValue()) {
          out.output(KV.of(batch + ":" + table.getKey(), file));
        }
      }
    }
  }

  /** What {@link #spilledHoldingOut} stages. */
  public static final TupleTag<StagedBatch> STAGED = new TupleTag<>() {};
  /** The changes {@link #spilledHoldingOut} holds out: every change of a key it was told of. */
  public static final TupleTag<Change> HELD_OUT = new TupleTag<>() {};

  /**
   * As {@link #spilled}, with the changes of {@code heldOutKeys} (ids as {@link
   * PartialKeyMoves#id} makes them; null for none) held out of the batches and passed on under
   * {@link #HELD_OUT}, whole histories, for a step that sees the keys together ({@link
   * CompleteKeyMoves}). The staged batches are under {@link #STAGED}.
   */
  public static PTransform<PCollection<KV<String, String>>, PCollectionTuple> spilledHoldingOut(
      String staging, long maxBytes, long maxRows, PCollectionView<List<String>> heldOutKeys) {
    StageBatches bounds = to(staging).withMaxBytes(maxBytes).withMaxRows(maxRows);
    return new PTransform<>() {
      @Override
      public PCollectionTuple expand(PCollection<KV<String, String>> spills) {
        ParDo.SingleOutput<KV<String, Iterable<String>>, StagedBatch> stage =
            ParDo.of(new StageSpilledFn(bounds.staging, bounds.maxBytes, bounds.maxRows, heldOutKeys));
        if (heldOutKeys != null) {
          stage = stage.withSideInputs(heldOutKeys);
        }
        PCollectionTuple out = spills
            .apply("Spill files per batch", GroupByKey.create())
            .apply("Reduce and stage", stage.withOutputTags(STAGED, TupleTagList.of(HELD_OUT)));
        out.get(STAGED).setCoder(StagedBatch.coder());
        out.get(HELD_OUT).setCoder(ChangeCoder.of());
        return out;
      }
    };
  }

  /** The key of a change's batch: {@code <batch>:<table>}. */
  public static String batchKey(Change c, int batches) {
    return batchOf(c.key(), batches) + ":" + c.table();
  }

  /** Which of {@code count} batches a key belongs to; stable across JVMs and runs. */
  public static int batchOf(String key, int count) {
    int h = key.hashCode(); // Specified by the JLS, so the same on every worker.
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return Math.floorMod(h, count);
  }

  /**
   * Writes one batch: {@code changes} sorted by key, a key's changes adjacent and oldest first (as
   * {@link LatestPerKey#sortedByKey} gives them), as {@code <staging>/<table>/<batch id>/batch.jsonl}.
   */
  public static StagedBatch write(String staging, String table, List<Change> changes) throws IOException {
    for (Change c : changes) {
      if (c.movedFrom() != null) {
        throw new IllegalStateException("a key move must be completed before it is staged: " + c);
      }
    }
    String id = BatchId.of(table, changes);
    ResourceId file = StagingPaths.batchFile(staging, table, id);
    int width = 1;
    long size = 0;
    long partial = 0;
    long longest = 0;
    try (OutputStream out = new BufferedOutputStream(
        Channels.newOutputStream(FileSystems.create(file, "application/json")), 1 << 16)) {
      StagedLine.Encoder lines = new StagedLine.Encoder(id);
      int step = 0;
      for (int i = 0; i < changes.size(); i++) {
        Change c = changes.get(i);
        step = i > 0 && changes.get(i - 1).key().equals(c.key()) ? step + 1 : 0;
        long line = lines.write(out, c, step);
        size += line;
        longest = Math.max(longest, line);
        width = Math.max(width, c.sequence().width());
        partial += c.isPartial() ? 1 : 0;
      }
    }
    return new StagedBatch(table, id, file.toString(), changes.size(), size, width, partial, longest);
  }

  private static final class AssignFn extends DoFn<Change, KV<String, Change>> {
    private final PCollectionView<Integer> batchCount;

    AssignFn(PCollectionView<Integer> batchCount) {
      this.batchCount = batchCount;
    }

    @ProcessElement
    public void process(@Element Change c, ProcessContext ctx) {
      int n = ctx.sideInput(batchCount);
      ctx.output(KV.of(batchKey(c, n), c));
    }
  }

  static final class StageFn extends DoFn<KV<String, LatestPerKey>, StagedBatch> {
    private final Stager stager;
    private final PCollectionView<List<String>> leftOutKeys;

    StageFn(String staging, long maxBytes, long maxRows) {
      this(staging, maxBytes, maxRows, null);
    }

    StageFn(String staging, long maxBytes, long maxRows, PCollectionView<List<String>> leftOutKeys) {
      this.stager = new Stager(staging, maxBytes, maxRows);
      this.leftOutKeys = leftOutKeys;
    }

    @ProcessElement
    public void process(@Element KV<String, LatestPerKey> group, OutputReceiver<StagedBatch> out, ProcessContext ctx)
        throws IOException {
      LatestPerKey latest = group.getValue();
      List<String> leftOut = leftOutKeys == null ? List.of() : ctx.sideInput(leftOutKeys);
      stager.stage(group.getKey(), leftOut.isEmpty() ? latest : without(latest, new HashSet<>(leftOut)), out::output);
    }
  }

  /**
   * Reads a batch's spill files, keeps the latest change per key, stages it, then removes the
   * files; the changes of held-out keys go on whole instead.
   */
  static final class StageSpilledFn extends DoFn<KV<String, Iterable<String>>, StagedBatch> {
    private final Stager stager;
    private final PCollectionView<List<String>> heldOutKeys;
    private final Counter reduceCpu = Counters.counter(REDUCE_CPU_NANOS);
    private final Counter stageCpu = Counters.counter(STAGE_CPU_NANOS);

    StageSpilledFn(String staging, long maxBytes, long maxRows, PCollectionView<List<String>> heldOutKeys) {
      this.stager = new Stager(staging, maxBytes, maxRows);
      this.heldOutKeys = heldOutKeys;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<String>> batch, MultiOutputReceiver out, ProcessContext ctx)
        throws IOException {
      long cpuStart = Counters.threadCpuNanos();
      Set<String> heldOut = heldOutKeys == null ? Set.of() : new HashSet<>(ctx.sideInput(heldOutKeys));
      OutputReceiver<Change> held = out.get(HELD_OUT);
      LatestPerKey latest = new LatestPerKey();
      List<String> files = new ArrayList<>();
      batch.getValue().forEach(files::add);
      // Keys deleted where a key move's new row was created (the old key of a split key change).
      Set<String> deletedAtMoves = new HashSet<>();
      forEachSpilled(files, c -> {
        if (heldOut.isEmpty()) {
          latest.add(c);
        } else if (heldOut.contains(PartialKeyMoves.id(c.table(), c.key()))) {
          held.output(c);
        } else {
          latest.add(c);
          if (c.op() == ChangeOp.DELETE && heldOut.contains(PartialKeyMoves.positionId(c.table(), c.sequence()))) {
            deletedAtMoves.add(PartialKeyMoves.id(c.table(), c.key()));
          }
        }
      });
      LatestPerKey staged = latest;
      if (!deletedAtMoves.isEmpty()) {
        // Their whole histories go too: read the batch again for them (rare), and stage the rest.
        forEachSpilled(files, c -> {
          if (deletedAtMoves.contains(PartialKeyMoves.id(c.table(), c.key()))) {
            held.output(c);
          }
        });
        staged = without(latest, deletedAtMoves);
      }
      long reduced = Counters.threadCpuNanos();
      reduceCpu.inc(reduced - cpuStart);
      stager.stage(batch.getKey(), staged, out.get(STAGED)::output);
      for (String file : files) {
        StagingPaths.deleteSpill(file);
      }
      stageCpu.inc(Counters.threadCpuNanos() - reduced);
    }

    private static void forEachSpilled(List<String> files, Consumer<Change> out) throws IOException {
      for (String file : files) {
        try (InputStream in = new BufferedInputStream(
            Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(file, false))), 1 << 16)) {
          while (true) {
            in.mark(1);
            if (in.read() < 0) {
              break;
            }
            in.reset();
            out.accept(ChangeCoder.of().decode(in));
          }
        }
      }
    }
  }

  /** {@code latest} without the changes of the keys {@code ids} ({@link PartialKeyMoves#id}), counted as not seen. */
  static LatestPerKey without(LatestPerKey latest, Set<String> ids) {
    LatestPerKey kept = new LatestPerKey();
    long dropped = 0;
    for (Change c : latest.winners()) {
      if (ids.contains(PartialKeyMoves.id(c.table(), c.key()))) {
        dropped++;
      } else {
        kept.add(c);
      }
    }
    kept.setAdded(latest.added() - dropped);
    return kept;
  }

  /** Cuts a reduced batch into staged files of at most {@code maxBytes} and {@code maxRows}, counting them. */
  static final class Stager implements java.io.Serializable {
    private final String staging;
    private final long maxBytes;
    private final long maxRows;
    private final Counter batches = Counters.counter(BATCHES_STAGED);
    private final Counter rows = Counters.counter(ROWS_STAGED);
    private final Counter bytes = Counters.counter(BYTES_STAGED);
    private final Counter superseded = Counters.counter(CHANGES_SUPERSEDED);
    private final Distribution batchBytes = Counters.distribution("batch_bytes");

    Stager(String staging, long maxBytes, long maxRows) {
      this.staging = staging;
      this.maxBytes = maxBytes;
      this.maxRows = maxRows;
    }

    void stage(String batchKey, LatestPerKey perKey, Consumer<StagedBatch> out) throws IOException {
      String table = batchKey.substring(batchKey.indexOf(':') + 1);
      List<Change> latest = perKey.sortedByKey();
      superseded.inc(perKey.added() - latest.size());

      // Each staged file is a run of the sorted list, written from a view of it (no copy).
      int chunkStart = 0;
      long chunkBytes = 0;
      int step = 0;
      for (int i = 0; i < latest.size(); i++) {
        Change c = latest.get(i);
        // A key's changes (a full one and partial ones after it) stay in one batch: the merge folds them.
        boolean sameKey = i > 0 && latest.get(i - 1).key().equals(c.key());
        step = sameKey ? step + 1 : 0;
        long size = StagedLine.utf8Size(c, step);
        if (!sameKey && i > chunkStart && (chunkBytes + size > maxBytes || i - chunkStart >= maxRows)) {
          out.accept(write(table, latest.subList(chunkStart, i)));
          chunkStart = i;
          chunkBytes = 0;
        }
        if (size > maxBytes) {
          LOG.warn("A row of {} ({} bytes) is larger than the batch bound of {} bytes; it is staged in a batch of its own.",
              table, size, maxBytes);
        }
        chunkBytes += size;
      }
      if (latest.size() > chunkStart) {
        out.accept(write(table, latest.subList(chunkStart, latest.size())));
      }
    }

    private StagedBatch write(String table, List<Change> chunk) throws IOException {
      StagedBatch batch = StageBatches.write(staging, table, chunk);
      batches.inc();
      rows.inc(chunk.size());
      bytes.inc(batch.bytes());
      batchBytes.update(batch.bytes());
      return batch;
    }
  }
}
