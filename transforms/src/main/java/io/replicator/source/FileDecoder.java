package io.replicator.source;

import io.replicator.change.Change;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.common.Counters;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Decodes whole files of change lines or snapshot rows, line by line (record by record for CSV),
 * into changes and dead letters, counting what it read. What {@link ReadChanges} does to each file,
 * for any DoFn that reads files (a reducing read, a stream of file drops). Not thread-safe: one
 * per DoFn instance.
 */
public final class FileDecoder implements Serializable {
  private final InputFormat format;
  private final String table;
  private final TableSchema schema;
  private final Sequence snapshotSequence;
  private final Counter linesRead;
  private final Counter decoded;
  private final Counter rejected;
  private final Counter skipped;
  private final Counter filesRead;
  private final Counter bytesRead;
  private final String unavailableValue;
  private final boolean passingKeyMoves;
  private transient ChangeDecoder decoder;

  FileDecoder(InputFormat format, String table, TableSchema schema, Sequence snapshotSequence,
      String unavailableValue, boolean passingKeyMoves) {
    this(format, table, schema, snapshotSequence, unavailableValue, passingKeyMoves, Counters.NAMESPACE);
  }

  /** @param namespace where its counters go: the run's own, or one the summary does not read */
  private FileDecoder(InputFormat format, String table, TableSchema schema, Sequence snapshotSequence,
      String unavailableValue, boolean passingKeyMoves, String namespace) {
    this.linesRead = Metrics.counter(namespace, ReadChanges.LINES_READ);
    this.decoded = Metrics.counter(namespace, ReadChanges.CHANGES_DECODED);
    this.rejected = Metrics.counter(namespace, ReadChanges.REJECTED);
    this.skipped = Metrics.counter(namespace, ReadChanges.SKIPPED);
    this.filesRead = Metrics.counter(namespace, ReadChanges.FILES_READ);
    this.bytesRead = Metrics.counter(namespace, ReadChanges.BYTES_READ);
    this.unavailableValue = unavailableValue;
    this.passingKeyMoves = passingKeyMoves;
    if (table == null || schema == null) {
      throw new IllegalStateException("reading change files needs withTable() and withSchema()");
    }
    if (format.isSnapshot() && snapshotSequence == null) {
      throw new IllegalStateException("reading a snapshot needs withSnapshotSequence()");
    }
    this.format = format;
    this.table = table;
    this.schema = schema;
    this.snapshotSequence = snapshotSequence;
  }

  /** The table whose changes it decodes. */
  public String table() {
    return table;
  }

  /** Whether it reads a snapshot (rows at one sequence) rather than change events. */
  public boolean readsSnapshot() {
    return format.isSnapshot();
  }

  /**
   * The same decoder for a second read of files already read once (a few keys' changes read
   * again): its lines and changes are not counted again in the run's figures.
   */
  public FileDecoder readingAgain() {
    return new FileDecoder(format, table, schema, snapshotSequence, unavailableValue, passingKeyMoves,
        Counters.NAMESPACE + "-again");
  }

  /** Decodes every line of {@code file}: changes to {@code changes}, rejected input to {@code deadLetters}. */
  public void read(FileIO.ReadableFile file, Consumer<Change> changes, Consumer<DeadLetter> deadLetters)
      throws IOException {
    String source = file.getMetadata().resourceId().toString();
    filesRead.inc();
    try (Utf8Lines in = Utf8Lines.of(file)) {
      // Progress is measured against files' sizes, which for a compressed file are not its lines'.
      ByteProgress progress = new ByteProgress(in, file.getCompression() == Compression.UNCOMPRESSED);
      if (format == InputFormat.SNAPSHOT_CSV) {
        readCsv(source, in, progress, changes, deadLetters);
      } else if (format == InputFormat.DEAD_LETTERS) {
        readDeadLetters(source, in, changes, deadLetters);
      } else {
        readLines(source, in, progress, changes, deadLetters);
      }
      progress.report();
    } catch (IOException e) {
      throw new UnreadableFileException(source, e);
    }
  }

  /**
   * Ranges of about {@code rangeBytes} that split {@code file} for decoding by several workers
   * ({@link #read(FileIO.ReadableFile, OffsetRange, Consumer, Consumer)}), or the whole file as one
   * range when it cannot be split: compressed, CSV, or small.
   */
  public List<OffsetRange> split(FileIO.ReadableFile file, long rangeBytes) {
    long size = file.getMetadata().sizeBytes();
    if (format == InputFormat.SNAPSHOT_CSV || format == InputFormat.DEAD_LETTERS
        || file.getCompression() != Compression.UNCOMPRESSED
        || size <= rangeBytes) {
      return List.of(new OffsetRange(0, Long.MAX_VALUE));
    }
    List<OffsetRange> ranges = new ArrayList<>();
    for (long start = 0; start < size; start += rangeBytes) {
      ranges.add(new OffsetRange(start, Math.min(size, start + rangeBytes)));
    }
    return ranges;
  }

  /**
   * Decodes the lines of {@code file} that start in {@code range}, one of those {@link #split}
   * gives; dead letters carry the line's number in the whole file.
   */
  public void read(FileIO.ReadableFile file, OffsetRange range, Consumer<Change> changes,
      Consumer<DeadLetter> deadLetters) throws IOException {
    if (range.getFrom() == 0 && range.getTo() == Long.MAX_VALUE) {
      read(file, changes, deadLetters);
      return;
    }
    if (range.getFrom() == 0) {
      filesRead.inc();
    }
    String source = file.getMetadata().resourceId().toString();
    try (Utf8Lines in = Utf8Lines.ofRange(file, range.getFrom(), range.getTo())) {
      ByteProgress progress = new ByteProgress(in, true);
      readLines(source, in, progress, changes, deadLetters);
      progress.report();
    } catch (IOException e) {
      throw new UnreadableFileException(source, e);
    }
  }

  private ChangeDecoder decoder() {
    if (decoder == null) {
      decoder = format == InputFormat.DEAD_LETTERS ? null : decoder(format, snapshotSequence);
    }
    return decoder;
  }

  private ChangeDecoder decoder(InputFormat format, Sequence snapshotSequence) {
    return switch (format) {
      case NATIVE -> passingKeyMoves ? new NativeChangeDecoder(table, schema).passingKeyMoves()
          : new NativeChangeDecoder(table, schema);
      case DEBEZIUM -> passingKeyMoves ? new DebeziumChangeDecoder(table, schema, table, unavailableValue).passingKeyMoves()
          : new DebeziumChangeDecoder(table, schema, table, unavailableValue);
      case SNAPSHOT_JSONL -> new SnapshotJsonDecoder(table, schema, snapshotSequence);
      case SNAPSHOT_CSV -> throw new IllegalStateException("CSV is decoded by its header");
      case DEAD_LETTERS -> throw new IllegalStateException("dead letters are decoded one by one");
    };
  }

  /**
   * Reads the dead letters of an earlier run again, each input in the format it names (a snapshot
   * row at its own sequence). One rejected again is a dead letter again, still naming its original
   * source and line; one that cannot be read again (no format: a CSV record, a line that was not
   * valid UTF-8, a row the warehouse refused) stays a dead letter with its reason.
   */
  private void readDeadLetters(String source, Utf8Lines in, Consumer<Change> changes,
      Consumer<DeadLetter> deadLetters) throws IOException {
    Map<String, ChangeDecoder> decoders = new HashMap<>();
    String line;
    while ((line = in.next()) != null) {
      if (line.isBlank()) {
        continue;
      }
      linesRead.inc();
      DeadLetter letter;
      try {
        if (in.malformed() != null) {
          throw new RejectedInputException(in.malformed());
        }
        letter = DeadLetter.fromJson(line);
      } catch (RejectedInputException e) {
        rejected.inc();
        deadLetters.accept(new DeadLetter(source, in.lineNumber(), line, e.getMessage()));
        continue;
      }
      if (letter.format() == null) {
        rejected.inc();
        deadLetters.accept(new DeadLetter(letter.source(), letter.line(), letter.input(),
            "cannot be read again as it stands: " + letter.reason()));
        continue;
      }
      InputFormat inputFormat = letter.format();
      Sequence sequence = inputFormat.isSnapshot() && letter.sequence() != null ? Sequence.of(letter.sequence()) : null;
      if (inputFormat.isSnapshot() && sequence == null) {
        rejected.inc();
        deadLetters.accept(new DeadLetter(letter.source(), letter.line(), letter.input(),
            "a snapshot row's dead letter without its sequence: " + letter.reason()));
        continue;
      }
      ChangeDecoder decoder = decoders.computeIfAbsent(inputFormat + "@" + sequence, k -> decoder(inputFormat, sequence));
      try {
        decode(decoder, letter.input(), changes);
      } catch (RejectedInputException e) {
        rejected.inc();
        deadLetters.accept(new DeadLetter(letter.source(), letter.line(), letter.input(), e.getMessage(),
            decoder.keyOfRejected(letter.input()), inputFormat, letter.sequence()));
      }
    }
  }

  /** Decodes one input, counting its changes, or it as skipped when it holds none (a heartbeat). */
  private void decode(ChangeDecoder decoder, String input, Consumer<Change> changes) throws RejectedInputException {
    int n = decoder.decode(input, changes);
    if (n == 0) {
      skipped.inc();
    }
    decoded.inc(n);
  }

  /** Adds the bytes read to the counter now and then (every few thousand lines), not per line. */
  private final class ByteProgress {
    private final Utf8Lines in;
    private final boolean counts;
    private long reported;
    private int lines;

    ByteProgress(Utf8Lines in, boolean counts) {
      this.in = in;
      this.counts = counts;
    }

    void line() {
      if (++lines == 8192) {
        lines = 0;
        report();
      }
    }

    void report() {
      if (counts) {
        long now = in.bytesRead();
        bytesRead.inc(now - reported);
        reported = now;
      }
    }
  }

  private void readLines(String source, Utf8Lines in, ByteProgress progress, Consumer<Change> changes,
      Consumer<DeadLetter> deadLetters) throws IOException {
    ChangeDecoder decoder = decoder();
    WrongFormatCheck formatCheck = format == InputFormat.NATIVE || format == InputFormat.DEBEZIUM
        ? new WrongFormatCheck(format, source) : null;
    String line;
    while ((line = in.next()) != null) {
      if (line.isBlank()) {
        continue;
      }
      linesRead.inc();
      progress.line();
      String rejectedLine = null;
      try {
        if (in.malformed() != null) {
          throw new RejectedInputException(in.malformed());
        }
        decode(decoder, line, changes);
      } catch (RejectedInputException e) {
        rejected.inc();
        rejectedLine = line;
        // A line that was not valid UTF-8 cannot be read again as it stands: its text is not its bytes.
        InputFormat again = in.malformed() == null ? format : null;
        deadLetters.accept(new DeadLetter(source, in.lineNumber(), line, e.getMessage(), decoder.keyOfRejected(line),
            again, again != null && format.isSnapshot() ? snapshotSequence.part(0) : null));
      }
      if (formatCheck != null) {
        formatCheck.line(rejectedLine);
      }
    }
    if (formatCheck != null) {
      formatCheck.end();
    }
  }

  private void readCsv(String source, Utf8Lines in, ByteProgress progress, Consumer<Change> changes,
      Consumer<DeadLetter> deadLetters) throws IOException {
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
      progress.line();
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
        deadLetters.accept(new DeadLetter(source, records.recordLine(), records.rawRecord(), e.getMessage(), key));
      }
    }
  }
}
