package io.replicator.source;

import io.replicator.batch.StageBatches;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.merge.LatestPerKey;
import io.replicator.merge.LatestPerKeyFn;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
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
  /** Counter names, in namespace {@value #NAMESPACE}. */
  public static final String NAMESPACE = "replicator";
  public static final String LINES_READ = "lines_read";
  public static final String CHANGES_DECODED = "changes_decoded";
  public static final String REJECTED = "rejected";
  public static final String SKIPPED = "skipped_events";
  public static final String FILES_READ = "files_read";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<KV<String, LatestPerKey>> REDUCED = new TupleTag<>() {};
  /** Keys an accumulator of a reducing read holds before it is sent on (about 1 MB of rows). */
  static final int REDUCED_ROWS = 4096;

  private final String filepattern;
  private final InputFormat format;
  private final String table;
  private final TableSchema schema;
  private final Sequence snapshotSequence;
  /** With a batch count, each file is reduced to the latest change per key of each batch as it is read. */
  private final int batches;

  private ReadChanges(String filepattern, InputFormat format, String table, TableSchema schema,
      Sequence snapshotSequence, int batches) {
    this.filepattern = filepattern;
    this.format = format;
    this.table = table;
    this.schema = schema;
    this.snapshotSequence = snapshotSequence;
    this.batches = batches;
  }

  public static ReadChanges from(String filepattern) {
    if (filepattern == null || filepattern.isBlank()) {
      throw new IllegalArgumentException("ReadChanges.from() needs a file pattern");
    }
    return new ReadChanges(filepattern, InputFormat.NATIVE, null, null, null, 0);
  }

  public ReadChanges withFormat(InputFormat format) {
    return new ReadChanges(filepattern, Objects.requireNonNull(format), table, schema, snapshotSequence, batches);
  }

  public ReadChanges withTable(String table) {
    return new ReadChanges(filepattern, format, Objects.requireNonNull(table), schema, snapshotSequence, batches);
  }

  public ReadChanges withSchema(TableSchema schema) {
    return new ReadChanges(filepattern, format, table, Objects.requireNonNull(schema), snapshotSequence, batches);
  }

  /** The sequence every snapshot row gets; required for snapshot formats. */
  public ReadChanges withSnapshotSequence(Sequence sequence) {
    return new ReadChanges(filepattern, format, table, schema, Objects.requireNonNull(sequence), batches);
  }

  /**
   * Cuts the changes into {@code batches} batches of whole keys ({@link StageBatches#batchKey}) and
   * keeps the latest change per key of each while reading: a file leaves the read as a few
   * accumulators per batch (of up to {@value #REDUCED_ROWS} keys) instead of one element per line,
   * whose moving between steps is most of a local runner's cost. {@link Result#reduced()} then holds them, for {@link StageBatches#reduced}; {@link
   * Result#changes()} is empty.
   */
  public ReadChanges reducedInto(int batches) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return new ReadChanges(filepattern, format, table, schema, snapshotSequence, batches);
  }

  @Override
  public Result expand(PBegin input) {
    if (table == null || schema == null) {
      throw new IllegalStateException("ReadChanges needs withTable() and withSchema()");
    }
    if (format.isSnapshot() && snapshotSequence == null) {
      throw new IllegalStateException("ReadChanges of a snapshot needs withSnapshotSequence()");
    }
    PCollectionTuple out =
        input
            .apply("Match files", FileIO.match().filepattern(filepattern)
                .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
            .apply("Open files", FileIO.readMatches())
            .apply("Decode", ParDo.of(new DecodeFileFn(format, table, schema, snapshotSequence, batches))
                .withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS).and(REDUCED)));
    return new Result(
        input.getPipeline(),
        out.get(CHANGES).setCoder(ChangeCoder.of()),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.Coder.of()),
        out.get(REDUCED).setCoder(KvCoder.of(StringUtf8Coder.of(), LatestPerKeyFn.AccumulatorCoder.of())));
  }

  /** What {@link ReadChanges} produces: the changes and the dead letters. */
  public static final class Result implements POutput {
    private final org.apache.beam.sdk.Pipeline pipeline;
    private final PCollection<Change> changes;
    private final PCollection<DeadLetter> deadLetters;
    private final PCollection<KV<String, LatestPerKey>> reduced;

    private Result(org.apache.beam.sdk.Pipeline pipeline, PCollection<Change> changes, PCollection<DeadLetter> deadLetters,
        PCollection<KV<String, LatestPerKey>> reduced) {
      this.pipeline = pipeline;
      this.changes = changes;
      this.deadLetters = deadLetters;
      this.reduced = reduced;
    }

    /** The output of any source that reads changes: what it read and what it rejected. */
    public static Result of(org.apache.beam.sdk.Pipeline pipeline, PCollection<Change> changes,
        PCollection<DeadLetter> deadLetters) {
      return new Result(pipeline, changes, deadLetters, null);
    }

    /** With {@link ReadChanges#reducedInto}: each file's batches, keyed {@code <batch>:<table>}. */
    public PCollection<KV<String, LatestPerKey>> reduced() {
      if (reduced == null) {
        throw new IllegalStateException("this source does not reduce while reading");
      }
      return reduced;
    }

    public PCollection<Change> changes() {
      return changes;
    }

    public PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }

    @Override
    public org.apache.beam.sdk.Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return reduced == null ? Map.of(CHANGES, changes, DEAD_LETTERS, deadLetters)
          : Map.of(CHANGES, changes, DEAD_LETTERS, deadLetters, REDUCED, reduced);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** Reads one whole file, line by line (or record by record for CSV), and decodes it. */
  static final class DecodeFileFn extends DoFn<FileIO.ReadableFile, Change> {
    private final InputFormat format;
    private final String table;
    private final TableSchema schema;
    private final Sequence snapshotSequence;
    private final int batches;
    private final Counter linesRead = Metrics.counter(NAMESPACE, LINES_READ);
    private final Counter decoded = Metrics.counter(NAMESPACE, CHANGES_DECODED);
    private final Counter rejected = Metrics.counter(NAMESPACE, REJECTED);
    private final Counter skipped = Metrics.counter(NAMESPACE, SKIPPED);
    private final Counter filesRead = Metrics.counter(NAMESPACE, FILES_READ);
    private transient ChangeDecoder decoder;

    DecodeFileFn(InputFormat format, String table, TableSchema schema, Sequence snapshotSequence, int batches) {
      this.format = format;
      this.table = table;
      this.schema = schema;
      this.snapshotSequence = snapshotSequence;
      this.batches = batches;
    }

    @Setup
    public void setup() {
      decoder = switch (format) {
        case NATIVE -> new NativeChangeDecoder(table, schema);
        case DEBEZIUM -> new DebeziumChangeDecoder(table, schema);
        case SNAPSHOT_JSONL -> new SnapshotJsonDecoder(table, schema, snapshotSequence);
        case SNAPSHOT_CSV -> null; // Built per file from its header.
      };
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) throws IOException {
      String source = file.getMetadata().resourceId().toString();
      filesRead.inc();
      // Reducing while reading: the file's changes go into its batches' accumulators, each sent on
      // when it holds REDUCED_ROWS keys (runners sort records in bounded buffers; Flink's refuses
      // a whole batch as one record) and at the end of the file.
      Map<String, LatestPerKey> perBatch = batches > 0 ? new HashMap<>() : null;
      Consumer<Change> changes = perBatch == null ? out.get(CHANGES)::output : c -> {
        String key = StageBatches.batchKey(c, batches);
        LatestPerKey latest = perBatch.computeIfAbsent(key, k -> new LatestPerKey());
        latest.add(c);
        if (latest.size() >= REDUCED_ROWS) {
          out.get(REDUCED).output(KV.of(key, latest));
          perBatch.remove(key);
        }
      };
      try (Utf8Lines in = Utf8Lines.of(file)) {
        if (format == InputFormat.SNAPSHOT_CSV) {
          readCsv(source, in, changes, out);
        } else {
          readLines(source, in, changes, out);
        }
      }
      if (perBatch != null) {
        OutputReceiver<KV<String, LatestPerKey>> reduced = out.get(REDUCED);
        perBatch.forEach((key, latest) -> reduced.output(KV.of(key, latest)));
      }
    }

    private void readLines(String source, Utf8Lines in, Consumer<Change> changes, MultiOutputReceiver out)
        throws IOException {
      String line;
      while ((line = in.next()) != null) {
        if (line.isBlank()) {
          continue;
        }
        linesRead.inc();
        try {
          if (in.malformed() != null) {
            throw new RejectedInputException(in.malformed());
          }
          int n = decoder.decode(line, changes);
          if (n == 0) {
            skipped.inc();
          }
          decoded.inc(n);
        } catch (RejectedInputException e) {
          rejected.inc();
          out.get(DEAD_LETTERS).output(
              new DeadLetter(source, in.lineNumber(), line, e.getMessage(), decoder.keyOfRejected(line)));
        }
      }
    }

    private void readCsv(String source, Utf8Lines in, Consumer<Change> changes, MultiOutputReceiver out)
        throws IOException {
      CsvRecordReader records = new CsvRecordReader(in);
      List<String> header = records.next();
      if (header == null) {
        return;
      }
      String headerProblem = records.malformedUtf8() != null ? "the header is not valid UTF-8 ("
          + records.malformedUtf8() + ")" : records.error() != null ? "malformed CSV header: " + records.error() : null;
      SnapshotCsvDecoder csv = new SnapshotCsvDecoder(table, schema, snapshotSequence, header, headerProblem);
      List<String> fields;
      while ((fields = records.next()) != null) {
        if (fields.size() == 1 && fields.get(0) == null) {
          continue; // An empty line.
        }
        linesRead.inc();
        try {
          if (records.malformedUtf8() != null) {
            throw new RejectedInputException(records.malformedUtf8());
          }
          if (records.error() != null) {
            throw new RejectedInputException("malformed CSV: " + records.error());
          }
          decoded.inc(csv.decode(fields, changes));
        } catch (RejectedInputException e) {
          rejected.inc();
          String key = records.error() == null ? csv.keyOfRejected(fields) : null;
          out.get(DEAD_LETTERS).output(
              new DeadLetter(source, records.recordLine(), records.rawRecord(), e.getMessage(), key));
        }
      }
    }
  }
}
