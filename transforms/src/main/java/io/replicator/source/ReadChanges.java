package io.replicator.source;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads change or snapshot files into normalised {@link Change}s, sending every input that cannot
 * be decoded to a dead-letter output with the file, the line number and the reason.
 *
 * <pre>{@code
 * ReadChanges.Result read = pipeline.apply(
 *     ReadChanges.from("changes/*.jsonl").withFormat(InputFormat.NATIVE)
 *         .withTable("spind_dly").withSchema(schema));
 * PCollection<Change> changes = read.changes();
 * PCollection<DeadLetter> rejected = read.deadLetters();
 * }</pre>
 *
 * <p>Files ending in .gz, .bz2, .zst and other compressions Beam knows are read decompressed. A
 * pattern that matches no file fails the run rather than replicating nothing.
 */
public final class ReadChanges extends PTransform<PBegin, ReadChanges.Result> {
  /** Counter names, in {@link io.replicator.common.Counters}'s namespace. */
  public static final String LINES_READ = "lines_read";
  public static final String CHANGES_DECODED = "changes_decoded";
  public static final String REJECTED = "rejected";
  public static final String SKIPPED = "skipped_events";
  public static final String FILES_READ = "files_read";
  /** Bytes of uncompressed input files read so far: progress against the files' sizes. */
  public static final String BYTES_READ = "input_bytes_read";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};

  private final String filepattern;
  private final InputFormat format;
  private final String table;
  private final TableSchema schema;
  private final Sequence snapshotSequence;
  private final String unavailableValue;
  private final boolean passingKeyMoves;

  private ReadChanges(String filepattern, InputFormat format, String table, TableSchema schema,
      Sequence snapshotSequence, String unavailableValue, boolean passingKeyMoves) {
    this.filepattern = filepattern;
    this.format = format;
    this.table = table;
    this.schema = schema;
    this.snapshotSequence = snapshotSequence;
    this.unavailableValue = unavailableValue;
    this.passingKeyMoves = passingKeyMoves;
  }

  public static ReadChanges from(String filepattern) {
    if (filepattern == null || filepattern.isBlank()) {
      throw new IllegalArgumentException("ReadChanges.from() needs a file pattern");
    }
    return new ReadChanges(filepattern, InputFormat.NATIVE, null, null, null,
        DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE, false);
  }

  public ReadChanges withFormat(InputFormat format) {
    return new ReadChanges(filepattern, Objects.requireNonNull(format), table, schema, snapshotSequence, unavailableValue,
        passingKeyMoves);
  }

  public ReadChanges withTable(String table) {
    return new ReadChanges(filepattern, format, Objects.requireNonNull(table), schema, snapshotSequence, unavailableValue,
        passingKeyMoves);
  }

  public ReadChanges withSchema(TableSchema schema) {
    return new ReadChanges(filepattern, format, table, Objects.requireNonNull(schema), snapshotSequence, unavailableValue,
        passingKeyMoves);
  }

  /** The sequence every snapshot row gets; required for snapshot formats. */
  public ReadChanges withSnapshotSequence(Sequence sequence) {
    return new ReadChanges(filepattern, format, table, schema, Objects.requireNonNull(sequence), unavailableValue,
        passingKeyMoves);
  }

  /** Debezium events: the connector's placeholder for a value it cannot see (its column is left unchanged). */
  public ReadChanges withUnavailableValue(String placeholder) {
    return new ReadChanges(filepattern, format, table, schema, snapshotSequence, placeholder, passingKeyMoves);
  }

  /**
   * Passes UPDATEs that move their key and leave columns unchanged on as partial UPSERTs naming
   * the old key ({@link io.replicator.change.Change#movedFrom}), for a flow that completes them
   * ({@link io.replicator.change.PartialKeyMoves}); without this they are dead letters.
   */
  public ReadChanges passingKeyMoves() {
    return new ReadChanges(filepattern, format, table, schema, snapshotSequence, unavailableValue, true);
  }

  /** The files, as a transform that matches them (none: the run fails) and opens each. */
  public PTransform<PBegin, PCollection<FileIO.ReadableFile>> files() {
    String pattern = filepattern;
    return new PTransform<>() {
      @Override
      public PCollection<FileIO.ReadableFile> expand(PBegin input) {
        return input
            .apply("Match files", FileIO.match().filepattern(pattern).withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
            .apply("Open files", FileIO.readMatches());
      }
    };
  }

  /** What decodes each file, for a DoFn of its own (a reducing read). */
  public FileDecoder decoder() {
    return new FileDecoder(format, table, schema, snapshotSequence, unavailableValue, passingKeyMoves);
  }

  @Override
  public Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("Files", files())
        .apply("Decode", ParDo.of(new DecodeFileFn(decoder())).withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS)));
    return Result.of(input.getPipeline(), out.get(CHANGES).setCoder(ChangeCoder.of()),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()));
  }

  /** What {@link ReadChanges} produces: the changes and the dead letters. */
  public static final class Result extends ReadOutput<Change> {
    private static final TupleTag<KV<String, String>> SPILLS = new TupleTag<>() {};
    private final PCollection<KV<String, String>> spills;

    private Result(org.apache.beam.sdk.Pipeline pipeline, PCollection<Change> changes,
        PCollection<DeadLetter> deadLetters, PCollection<KV<String, String>> spills) {
      super(pipeline, CHANGES, changes, DEAD_LETTERS, deadLetters);
      this.spills = spills;
    }

    /** The output of any source that reads changes: what it read and what it rejected. */
    public static Result of(org.apache.beam.sdk.Pipeline pipeline, PCollection<Change> changes,
        PCollection<DeadLetter> deadLetters) {
      return new Result(pipeline, changes, deadLetters, null);
    }

    /**
     * The output of a source that appended (some of) what it read to spill files ({@link
     * ChangeSpill}): the files by batch key, for {@link io.replicator.batch.StageBatches#spilled}.
     */
    public static Result spilled(org.apache.beam.sdk.Pipeline pipeline, PCollection<Change> changes,
        PCollection<DeadLetter> deadLetters, PCollection<KV<String, String>> spills) {
      return new Result(pipeline, changes, deadLetters, spills);
    }

    public PCollection<Change> changes() {
      return read();
    }

    /** The spill files by batch key, or null for a read that spilled nothing. */
    public PCollection<KV<String, String>> spills() {
      return spills;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> outputs = new HashMap<>(super.expand());
      if (spills != null) {
        outputs.put(SPILLS, spills);
      }
      return outputs;
    }
  }

  /** Reads one whole file and decodes it. */
  /**
   * The changes of a few keys ({@code ids}, as {@link PartialKeyMoves#id} makes them), read again
   * from the same files: for a flow whose readers reduced the changes as they read, and that then
   * needs those keys' whole histories. Nothing is read when {@code ids} is empty; what is rejected
   * was written as a dead letter by the first read, and nothing is counted again.
   */
  public PTransform<PBegin, PCollection<Change>> changesOf(PCollectionView<List<String>> ids) {
    return readAgain("Read keys again", ids, false);
  }

  /**
   * The deletions at a few positions ({@code positions}, as {@link PartialKeyMoves#positionId}
   * makes them; other ids are passed over), read again from the same files: where a key change
   * split in two (a delete, then a create) names its old key. Nothing is read when {@code
   * positions} holds none.
   */
  public PTransform<PBegin, PCollection<Change>> deletionsAt(PCollectionView<List<String>> positions) {
    return readAgain("Read deletions again", positions, true);
  }

  private PTransform<PBegin, PCollection<Change>> readAgain(String step, PCollectionView<List<String>> ids,
      boolean positions) {
    FileDecoder again = decoder().readingAgain();
    return new PTransform<>() {
      @Override
      public PCollection<Change> expand(PBegin input) {
        return input
            .apply("Files", files())
            .apply(step, ParDo.of(new ReadAgainFn(again, ids, positions)).withSideInputs(ids))
            .setCoder(ChangeCoder.of());
      }
    };
  }

  private static final class ReadAgainFn extends DoFn<FileIO.ReadableFile, Change> {
    private final FileDecoder decoder;
    private final PCollectionView<List<String>> ids;
    private final boolean positions;

    ReadAgainFn(FileDecoder decoder, PCollectionView<List<String>> ids, boolean positions) {
      this.decoder = decoder;
      this.ids = ids;
      this.positions = positions;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, ProcessContext ctx) throws IOException {
      Set<String> wanted = new HashSet<>();
      for (String id : ctx.sideInput(ids)) {
        if (PartialKeyMoves.isPositionId(id) == positions) {
          wanted.add(id);
        }
      }
      if (!wanted.isEmpty()) {
        decoder.read(file, c -> {
          if (positions ? c.op() == ChangeOp.DELETE && wanted.contains(PartialKeyMoves.positionId(c.table(), c.sequence()))
              : wanted.contains(PartialKeyMoves.id(c.table(), c.key()))) {
            ctx.output(c);
          }
        }, rejected -> { });
      }
    }
  }

  private static final class DecodeFileFn extends DoFn<FileIO.ReadableFile, Change> {
    private final FileDecoder decoder;

    DecodeFileFn(FileDecoder decoder) {
      this.decoder = decoder;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) throws IOException {
      decoder.read(file, out.get(CHANGES)::output, out.get(DEAD_LETTERS)::output);
    }
  }
}
