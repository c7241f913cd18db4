package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.DebeziumChangeDecoder;
import io.replicator.source.DebeziumTables;
import io.replicator.source.InputFormat;
import io.replicator.source.NativeChangeDecoder;
import io.replicator.source.ReadChanges;
import io.replicator.source.RejectedInputException;
import io.replicator.warehouse.WarehouseSpec;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Decodes stream events into changes of the replicated tables. Bad events become dead letters
 * (source, position, event, reason); tombstones, heartbeats and events of tables not replicated
 * are counted and carry on. Every event also reports its position, so progress can be committed
 * past events that gave no change.
 *
 * <pre>{@code
 * DecodeEvents.Result decoded = events.apply(DecodeEvents.debezium(tables, Map.of()));
 * }</pre>
 */
public final class DecodeEvents extends PTransform<PCollection<SourceEvent>, DecodeEvents.Result> {
  public static final String EVENTS_READ = "events_read";
  public static final String OTHER_TABLES = "events_of_other_tables";
  public static final String COLUMNS_ADDED = "columns_added";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<KV<String, Long>> PROGRESS = new TupleTag<>() {};
  private static final TupleTag<KV<String, String>> SPILLS = new TupleTag<>() {};
  private static final TupleTag<KV<String, SourcedChange>> SOURCED = new TupleTag<>() {};

  private final InputFormat format;
  private final List<TargetTable> tables;
  private final Map<String, String> sourceNames;
  private final WarehouseSpec evolving;
  private final String unavailableValue;
  private final KeyMoves keyMoves;
  private final PairSplitKeyChanges pairing;

  private DecodeEvents(InputFormat format, List<TargetTable> tables, Map<String, String> sourceNames,
      WarehouseSpec evolving, String unavailableValue, KeyMoves keyMoves, PairSplitKeyChanges pairing) {
    this.pairing = pairing;
    this.format = format;
    this.tables = List.copyOf(tables);
    this.sourceNames = Map.copyOf(sourceNames);
    this.evolving = evolving;
    this.unavailableValue = unavailableValue;
    this.keyMoves = keyMoves;
  }

  /**
   * Debezium change events of {@code tables}; {@code sourceNames} maps a target table to its name at
   * the source where they differ (e.g. {@code orders → inventory.orders}).
   */
  public static DecodeEvents debezium(List<TargetTable> tables, Map<String, String> sourceNames) {
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("no table to replicate");
    }
    return new DecodeEvents(InputFormat.DEBEZIUM, tables, sourceNames, null,
        DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE, KeyMoves.REJECTED, null);
  }

  /** The connector's placeholder for a value it cannot see (its {@code unavailable.value.placeholder}). */
  public DecodeEvents withUnavailableValue(String placeholder) {
    return new DecodeEvents(format, tables, sourceNames, evolving, placeholder, keyMoves, pairing);
  }

  /**
   * Passes the create half of a key change the PostgreSQL connector split in two on, partial and
   * unpaired ({@link DebeziumChangeDecoder#passingSplitKeyChanges}), for a flow that pairs it with
   * its delete ({@link io.replicator.batch.CompleteKeyMoves}); without this it is a dead letter.
   */
  public DecodeEvents passingSplitKeyChanges() {
    return new DecodeEvents(format, tables, sourceNames, evolving, unavailableValue, KeyMoves.SPLIT, pairing);
  }

  /**
   * Passes every UPDATE that moves its key and leaves columns out on, naming its old key, and the
   * create half of a split key change ({@link DebeziumChangeDecoder#passingKeyMoves}), for a flow
   * that completes them: events that come in source order as a whole (file drops).
   */
  public DecodeEvents passingKeyMoves() {
    return new DecodeEvents(format, tables, sourceNames, evolving, unavailableValue, KeyMoves.ALL, pairing);
  }

  /**
   * Brings the halves of each split key change that the source marks as such ({@link
   * SourceEvent#splitKeyChange}), with the changes of their keys read after them while they wait,
   * together before the windows ({@link PairSplitKeyChanges}), a half waiting at most {@code wait}
   * for the other; apply before windowing. With {@link
   * #passingSplitKeyChanges}, the window that gets both completes the create.
   */
  public DecodeEvents pairingSplitKeyChanges(Duration wait) {
    return new DecodeEvents(format, tables, sourceNames, evolving, unavailableValue, keyMoves,
        PairSplitKeyChanges.waitingAtMost(wait));
  }

  /** Which partial key moves the decoders pass on. */
  private enum KeyMoves { REJECTED, SPLIT, ALL }

  /**
   * Adds the new nullable columns that events' schema envelopes declare to the targets in {@code
   * warehouse}, and decodes them from then on; without this, such events are dead letters.
   */
  public DecodeEvents evolvingSchemas(WarehouseSpec warehouse) {
    return new DecodeEvents(format, tables, sourceNames, warehouse, unavailableValue, keyMoves, pairing);
  }

  /** Native change lines of one table. */
  public static DecodeEvents nativeLines(TargetTable table) {
    return new DecodeEvents(InputFormat.NATIVE, List.of(table), Map.of(), null, null, KeyMoves.REJECTED, null);
  }

  /**
   * The decoded changes, the dead letters, and the progress each event makes; and, from a read
   * that spills what it decodes ({@link ReadSlotStream#spillingInto}), its spill files keyed by
   * batch ({@link io.replicator.batch.SpillWriter}), else null.
   */
  public record Result(PCollection<Change> changes, PCollection<DeadLetter> deadLetters,
      PCollection<KV<String, Long>> progress, PCollection<KV<String, String>> spills) implements POutput {
    public Result(PCollection<Change> changes, PCollection<DeadLetter> deadLetters,
        PCollection<KV<String, Long>> progress) {
      this(changes, deadLetters, progress, null);
    }

    @Override
    public Pipeline getPipeline() {
      return changes.getPipeline();
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return spills == null ? Map.of(CHANGES, changes, DEAD_LETTERS, deadLetters, PROGRESS, progress)
          : Map.of(CHANGES, changes, DEAD_LETTERS, deadLetters, PROGRESS, progress, SPILLS, spills);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  @Override
  public Result expand(PCollection<SourceEvent> events) {
    PCollectionTuple out = events.apply("Decode", ParDo.of(new DecodeFn(format, tables, sourceNames, evolving,
            unavailableValue, keyMoves, pairing != null))
        .withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS).and(PROGRESS).and(SOURCED)));
    PCollection<Change> changes = out.get(CHANGES).setCoder(ChangeCoder.of());
    PCollection<KV<String, Long>> progress = out.get(PROGRESS).setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    out.get(SOURCED).setCoder(KvCoder.of(StringUtf8Coder.of(), SourcedChange.coder()));
    if (pairing != null) {
      PCollectionTuple paired = out.get(SOURCED).apply("Pair split key changes", pairing);
      // Every change went to the pairing; the decoder's progress is that of events without one.
      changes = paired.get(PairSplitKeyChanges.CHANGES);
      progress = PCollectionList.of(progress).and(paired.get(PairSplitKeyChanges.PROGRESS))
          .apply("With their progress", Flatten.pCollections()).setCoder(progress.getCoder());
    }
    return new Result(changes, out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()), progress);
  }

  private static final class DecodeFn extends DoFn<SourceEvent, Change> {
    private final InputFormat format;
    private final List<TargetTable> tables;
    private final Map<String, String> sourceNames;
    private final Counter read = Counters.counter(EVENTS_READ);
    private final Counter decoded = Counters.counter(ReadChanges.CHANGES_DECODED);
    private final Counter rejected = Counters.counter(ReadChanges.REJECTED);
    private final Counter skipped = Counters.counter(ReadChanges.SKIPPED);
    private final Counter otherTables = Counters.counter(OTHER_TABLES);
    private final WarehouseSpec evolving;
    private transient DebeziumTables debezium;
    private transient NativeChangeDecoder lines;
    private transient TargetColumns columns;

    private final String unavailableValue;
    private final KeyMoves keyMoves;
    private final boolean pairing;

    DecodeFn(InputFormat format, List<TargetTable> tables, Map<String, String> sourceNames, WarehouseSpec evolving,
        String unavailableValue, KeyMoves keyMoves, boolean pairing) {
      this.pairing = pairing;
      this.unavailableValue = unavailableValue;
      this.keyMoves = keyMoves;
      this.format = format;
      this.tables = tables;
      this.sourceNames = sourceNames;
      this.evolving = evolving;
    }

    @Setup
    public void setup() {
      if (format == InputFormat.NATIVE) {
        lines = new NativeChangeDecoder(tables.get(0).name(), tables.get(0).schema());
        if (keyMoves == KeyMoves.ALL) {
          lines.passingKeyMoves();
        }
      } else {
        columns = evolving == null ? null : new TargetColumns(evolving);
        debezium = new DebeziumTables(tables, sourceNames, columns == null ? null : columns::add, unavailableValue);
        if (keyMoves == KeyMoves.ALL) {
          debezium.passingKeyMoves();
        } else if (keyMoves == KeyMoves.SPLIT) {
          debezium.passingSplitKeyChanges();
        }
      }
    }

    @Teardown
    public void teardown() {
      if (columns != null) {
        columns.close();
      }
    }

    @ProcessElement
    public void process(@Element SourceEvent e, MultiOutputReceiver out) {
      read.inc();
      OutputReceiver<Change> decodedChanges = out.get(CHANGES);
      Consumer<Change> changes = decodedChanges::output;
      SourcedReceiver sourced = null;
      if (pairing) {
        // The pairing passes each change's progress on with it.
        sourced = new SourcedReceiver(out.get(SOURCED), e);
        changes = sourced;
      }
      try {
        if (e.malformed() != null) {
          throw new RejectedInputException(e.malformed());
        }
        if (lines != null) {
          if (e.payload() == null) {
            skipped.inc();
          } else {
            decoded.inc(lines.decode(e.payload(), changes));
          }
        } else {
          DebeziumTables.Decoded d = debezium.decode(e.payload(), changes);
          if (d.otherTable()) {
            otherTables.inc();
          } else if (d.changes() == 0) {
            skipped.inc();
          } else {
            decoded.inc(d.changes());
            if (d.sourceMillis() > 0) {
              out.get(PROGRESS).output(Progress.sourceTime(d.table(), d.sourceMillis()));
            }
          }
        }
      } catch (RejectedInputException ex) {
        rejected.inc();
        // An event that was not valid UTF-8 cannot be read again as it stands: its text is not its bytes.
        boolean again = e.malformed() == null && e.payload() != null;
        out.get(DEAD_LETTERS).output(new DeadLetter(e.source(), e.position(),
            e.payload() == null ? "null" : e.payload(), ex.getMessage(), null, again ? format : null, null));
      }
      if (sourced == null || !sourced.passed) {
        out.get(PROGRESS).output(Progress.of(e.source(), e.position(), e.ackId()));
      }
    }
  }

  /** Sends an event's changes to the pairing with where the event sits, keyed by table and key's shard. */
  private static final class SourcedReceiver implements Consumer<Change> {
    private final DoFn.OutputReceiver<KV<String, SourcedChange>> out;
    private final SourceEvent event;
    boolean passed;

    SourcedReceiver(DoFn.OutputReceiver<KV<String, SourcedChange>> out, SourceEvent event) {
      this.out = out;
      this.event = event;
    }

    @Override
    public void accept(Change c) {
      passed = true;
      out.output(KV.of(PairSplitKeyChanges.shardOf(c),
          new SourcedChange(c, event.source(), event.position(), event.ackId(), event.splitKeyChange())));
    }
  }
}
