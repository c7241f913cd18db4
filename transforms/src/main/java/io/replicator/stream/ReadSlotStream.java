package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.Column;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.common.ByteSize;
import io.replicator.common.Counters;
import io.replicator.source.ChangeSpill;
import io.replicator.source.DeadLetter;
import io.replicator.source.postgres.PartialMoves;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.source.postgres.SlotChangeDecoder;
import io.replicator.source.postgres.SlotPeek;
import io.replicator.source.postgres.SlotTruncates;
import io.replicator.source.postgres.TargetKeys;
import io.replicator.warehouse.WarehouseSpec;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A replication slot read as a stream: every poll reads the changes committed since the last poll
 * (up to the WAL position at the poll) and reports that position as the slot's progress, which
 * {@link SlotPositions} confirms once the window holding the changes is merged. The slot itself is
 * confirmed only then, so a poll peeks again from the last confirmed position and skips what it
 * already passed on; a restarted stream reads from the confirmed position again.
 *
 * <p>A TRUNCATE ({@link #withTargetRows}) becomes a DELETE, at its place in the commit order, of
 * every row its table may hold: the target's rows, and the rows of changes passed on since the
 * slot's confirmed position (read again), which may not be merged yet. Changes after it sort
 * above it and stay; so does a target row newer than it (a replay).
 *
 * <pre>{@code
 * DecodeEvents.Result read = p.apply(ReadSlotStream.of(slot, Map.of("public.orders", orders))
 *     .every(Duration.standardSeconds(10)));
 * }</pre>
 */
public final class ReadSlotStream extends PTransform<PBegin, DecodeEvents.Result> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReadSlotStream.class);
  public static final String POLLS = "slot_polls";
  /** Gauge: the WAL the slot keeps on the source's disk, in bytes, at the last poll. */
  public static final String RETAINED_WAL = "slot_retained_wal_bytes";
  /** TRUNCATEs applied: each a DELETE of every row its table may hold, at its place. */
  public static final String TRUNCATES_APPLIED = "stream_truncates_applied";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<KV<String, Long>> PROGRESS = new TupleTag<>() {};
  private static final TupleTag<KV<String, String>> SPILLS = new TupleTag<>() {};

  private final ReplicationSlot slot;
  private final Map<String, TargetTable> tables;
  private final Duration interval;
  private final WarehouseSpec evolving;
  private final long warnAboveBytes;
  private final TargetKeys targetKeys;
  /** What must be applied before the first read of the slot (a step of this pipeline), or null. */
  private final transient PCollection<String> after;
  /** Where each read spills its changes, or null: it outputs them. */
  private final ChangeSpill spill;

  private ReadSlotStream(ReplicationSlot slot, Map<String, TargetTable> tables, Duration interval,
      WarehouseSpec evolving, long warnAboveBytes, TargetKeys targetKeys, PCollection<String> after, ChangeSpill spill) {
    this.slot = slot;
    this.tables = Map.copyOf(tables);
    this.interval = interval;
    this.evolving = evolving;
    this.warnAboveBytes = warnAboveBytes;
    this.targetKeys = targetKeys;
    this.after = after;
    this.spill = spill;
  }

  /** The changes of {@code tables} (targets by source {@code schema.table}), read every ten seconds. */
  public static ReadSlotStream of(ReplicationSlot slot, Map<String, TargetTable> tables) {
    return new ReadSlotStream(slot, tables, Duration.standardSeconds(10), null, Long.MAX_VALUE, null, null, null);
  }

  /**
   * One read of what the slot holds now, a bounded collection: a run that catches up on a schedule
   * instead of a stream.
   */
  public ReadSlotStream once() {
    return new ReadSlotStream(slot, tables, null, evolving, warnAboveBytes, targetKeys, after, spill);
  }

  public ReadSlotStream every(Duration poll) {
    if (poll.getMillis() < 1) {
      throw new IllegalArgumentException("the poll interval must be positive, got " + poll);
    }
    return new ReadSlotStream(slot, tables, poll, evolving, warnAboveBytes, targetKeys, after, spill);
  }

  /** Adds the columns new at the source to the targets in {@code warehouse}, as the changes show them. */
  public ReadSlotStream evolvingSchemas(WarehouseSpec warehouse) {
    return new ReadSlotStream(slot, tables, interval, warehouse, warnAboveBytes, targetKeys, after,
        spill);
  }

  /** Warns (at most once a minute) while the slot keeps more than {@code bytes} of WAL on the source. */
  public ReadSlotStream warningAbove(long bytes) {
    return new ReadSlotStream(slot, tables, interval, evolving, bytes, targetKeys, after, spill);
  }

  /**
   * Applies each TRUNCATE of a replicated table in its place (see above), and completes each key
   * move that leaves columns out ({@link PartialMoves}), the target's rows read through {@code
   * keys}. Without it the stream stops at a TRUNCATE, and such a move is a dead letter.
   */
  public ReadSlotStream withTargetRows(TargetKeys keys) {
    return new ReadSlotStream(slot, tables, interval, evolving, warnAboveBytes, keys, after, spill);
  }

  /**
   * Appends each read's changes to spill files as it reads them ({@code spill}, such as {@link
   * io.replicator.batch.SpillWriter#into}) and passes on only the files, for {@link
   * io.replicator.batch.StageBatches#spilledBuckets}: a local runner would otherwise hold a whole
   * read in memory, everything the slot kept since the last run (a one-time read) or since the last
   * poll (a stream after a pause, or one large transaction).
   */
  public ReadSlotStream spillingInto(ChangeSpill spill) {
    return new ReadSlotStream(slot, tables, interval, evolving, warnAboveBytes, targetKeys, after, spill);
  }

  /**
   * Reads the slot only once everything in {@code applied} exists: the first reads of tables new to
   * the slot ({@link io.replicator.replicate.ReplicateTable}'s output) running in the same job.
   * Their rows sit at the slot's position, so the order of the merges would not matter to the
   * rows; but a TRUNCATE, a key move leaving values out and an UPDATE leaving TOASTed values out
   * all build on the target's rows, which must be there first. Meanwhile the slot keeps its WAL.
   */
  public ReadSlotStream startingAfter(PCollection<String> applied) {
    return new ReadSlotStream(slot, tables, interval, evolving, warnAboveBytes, targetKeys, applied,
        spill);
  }

  /** The source name progress is reported under. */
  public static String sourceName(ReplicationSlot slot) {
    return "postgres-slot:" + slot.slot();
  }

  @Override
  public DecodeEvents.Result expand(PBegin input) {
    Instant now = Instant.now();
    PCollection<KV<String, Instant>> polls = interval == null
        ? input.apply("One read", Create.timestamped(TimestampedValue.of(KV.of("", now), now))
            .withCoder(KvCoder.of(StringUtf8Coder.of(), InstantCoder.of())))
        : input.apply("Polls", PeriodicImpulse.create().withInterval(interval))
            .apply("One reader", WithKeys.<String, Instant>of("").withKeyType(TypeDescriptors.strings()));
    if (after != null) {
      polls = polls.apply("After the first reads", Wait.on(after));
    }
    PCollectionTuple out = polls.apply("Read slot", ParDo.of(new PollFn(this))
        .withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS).and(PROGRESS).and(SPILLS)));
    return new DecodeEvents.Result(out.get(CHANGES).setCoder(ChangeCoder.of()),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()),
        out.get(PROGRESS).setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())),
        spills() ? out.get(SPILLS).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())) : null);
  }

  private boolean spills() {
    return spill != null;
  }

  private static final class PollFn extends DoFn<KV<String, Instant>, Change> {
    private final ReadSlotStream spec;
    private final Counter polls = Counters.counter(POLLS);
    private final org.apache.beam.sdk.metrics.Gauge retained = Counters.gauge(RETAINED_WAL);
    private final Counter truncated = Counters.counter(TRUNCATES_APPLIED);
    private transient long lastWarning;
    private transient TargetColumns targetColumns;
    /** The targets as this reader knows them, columns it added included. */
    private transient Map<String, TargetTable> current;

    /** The WAL position the changes passed on reach: every transaction committing before it. */
    @StateId("readTo")
    private final StateSpec<ValueState<Long>> readToSpec = StateSpecs.value(VarLongCoder.of());

    PollFn(ReadSlotStream spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@StateId("readTo") ValueState<Long> readTo, MultiOutputReceiver out) throws Exception {
      long from = readTo.read() == null ? 0 : readTo.read();
      long end = spec.slot.currentPosition();
      if (end <= from) {
        return;
      }
      if (current == null) {
        current = new java.util.HashMap<>(spec.tables);
      }
      SlotChangeDecoder.ColumnAdder adder = spec.evolving == null ? null : this::addColumns;
      // Applied once the read has let go of the slot: a TRUNCATE reads it again.
      List<KV<String, Sequence>> truncates = new ArrayList<>();
      List<PartialKeyMoves.Move> moves = new ArrayList<>();
      boolean target = spec.targetKeys != null;
      try (ChangeSpill.Writer spill = spec.spills() ? spec.spill.open() : null) {
        Consumer<Change> changes = spill != null ? spill::write : out.get(CHANGES)::output;
        SlotPeek.Read read = SlotPeek.read(spec.slot, end, from, current, adder,
            target ? (table, at) -> truncates.add(KV.of(table, at)) : null, target ? moves::add : null, 10_000,
            changes, out.get(DEAD_LETTERS)::output);
        for (KV<String, Sequence> truncate : truncates) {
          SlotTruncates.apply(spec.slot, truncate.getKey(), truncate.getValue(), current, adder, spec.targetKeys,
              changes);
          truncated.inc();
        }
        PartialMoves.complete(spec.slot, end, current, adder, spec.targetKeys, moves, changes);
        if (spill != null) {
          spill.finish().forEach((batch, file) -> out.get(SPILLS).output(KV.of(batch, file)));
        }
        read.newestCommitMillis()
            .forEach((table, millis) -> out.get(PROGRESS).output(Progress.sourceTime(table, millis)));
      }
      polls.inc();
      out.get(PROGRESS).output(Progress.position(sourceName(spec.slot), end));
      readTo.write(end);
      watchRetainedWal();
    }

    /** A slot that falls behind keeps WAL on the source's disk until it fills: say so early. */
    private void watchRetainedWal() throws SQLException {
      long bytes = spec.slot.retainedBytes();
      retained.set(bytes);
      long now = System.currentTimeMillis();
      if (bytes > spec.warnAboveBytes && now - lastWarning > 60_000) {
        lastWarning = now;
        LOG.warn("{} keeps {} of WAL on the source's disk, more than --maxSlotLag={}: the stream is behind (or"
            + " stopped merging); the source's disk fills if it stays so", spec.slot, ByteSize.format(bytes),
            ByteSize.format(spec.warnAboveBytes));
      }
    }

    private TargetTable addColumns(TargetTable table, List<Column> columns) {
      if (targetColumns == null) {
        targetColumns = new TargetColumns(spec.evolving);
      }
      TargetTable evolved = targetColumns.add(table, columns);
      current.replaceAll((source, target) -> target.name().equals(table.name()) ? evolved : target);
      return evolved;
    }

    @Teardown
    public void teardown() {
      if (targetColumns != null) {
        targetColumns.close();
      }
    }
  }
}
