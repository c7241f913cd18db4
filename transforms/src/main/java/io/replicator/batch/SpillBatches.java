package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.FileDecoder;
import io.replicator.source.ReadChanges;
import io.replicator.source.ReadOutput;
import java.io.IOException;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.ReadableFileCoder;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads change files and cuts them into batches of whole keys ({@link StageBatches#batchKey}) as
 * it reads, appending each batch's changes to spill files under a directory on the staging
 * filesystem instead of holding them: the external hash partitioning databases use for
 * aggregates larger than memory. What moves between steps is one small element per spill file,
 * and {@link StageBatches#spilled} then reduces one batch at a time, so memory is bounded by the
 * batch size ({@code --batchMaxBytes}) whatever the input's size. Large uncompressed line files are
 * split into byte ranges decoded in parallel.
 *
 * <pre>{@code
 * SpillBatches.Result read = p.apply(SpillBatches.of(
 *     ReadChanges.from("snapshot/*.jsonl").withTable("t").withSchema(schema), 16, "/tmp/staging/t/spill-1"));
 * PCollection<StagedBatch> staged = read.spills().apply(StageBatches.spilled("/tmp/staging", 256 << 20, 5_000_000));
 * }</pre>
 */
public final class SpillBatches extends PTransform<PBegin, SpillBatches.Result> {
  /** Bytes of input one worker decodes at a time when a file is split. */
  static final long RANGE_BYTES = 64L << 20;
  /** Thread CPU time spent decoding input and writing it to spill files. */
  public static final String DECODE_CPU_NANOS = "decode_cpu_nanos";

  private static final TupleTag<KV<String, String>> SPILLS = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<Change> KEY_MOVES = new TupleTag<>() {};

  private final ReadChanges read;
  private final int batches;
  private final String directory;
  private final long rangeBytes;

  private SpillBatches(ReadChanges read, int batches, String directory, long rangeBytes) {
    this.read = read;
    this.batches = batches;
    this.directory = directory;
    this.rangeBytes = rangeBytes;
  }

  /**
   * Reads what {@code read} reads into {@code batches} batches, spilled under {@code directory}
   * (one of its own: {@link StageBatches#spilled} removes the files it has staged).
   */
  public static SpillBatches of(ReadChanges read, int batches, String directory) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return new SpillBatches(read, batches, directory, RANGE_BYTES);
  }

  /** Splits uncompressed line files into ranges of about {@code bytes} (default 64 MB), each decoded on its own. */
  public SpillBatches withRangeBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("a range needs at least one byte, got " + bytes);
    }
    return new SpillBatches(read, batches, directory, bytes);
  }

  /**
   * Spills changes that another read produced (a database snapshot) into {@code batches} batches
   * under {@code directory}: each bundle writes one file per batch, passed on when the bundle ends.
   * For {@link StageBatches#spilled}, like a file read's spills.
   */
  public static PTransform<PCollection<Change>, PCollection<KV<String, String>>> changes(int batches,
      String directory) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return new PTransform<>() {
      @Override
      public PCollection<KV<String, String>> expand(PCollection<Change> changes) {
        if (!(changes.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
          // A bundle's files are passed on when it ends, in the global window: batches, not streams.
          throw new IllegalArgumentException("spilling needs a bounded read in the global window");
        }
        return changes.apply("Spill", ParDo.of(new SpillChangesFn(batches, directory)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
      }
    };
  }

  @Override
  public Result expand(PBegin input) {
    FileDecoder decoder = read.decoder();
    PCollectionTuple out = input
        .apply("Files", read.files())
        .apply("Split", ParDo.of(new SplitFn(decoder, rangeBytes)))
        .setCoder(KvCoder.of(ReadableFileCoder.of(), OffsetRange.Coder.of()))
        // Each range its own work item, so the ranges of one file are decoded in parallel.
        .apply("Spread ranges", Reshuffle.viaRandomKey())
        .apply("Decode and spill", ParDo.of(new SpillFn(decoder, batches, directory))
            .withOutputTags(SPILLS, TupleTagList.of(DEAD_LETTERS).and(KEY_MOVES)));
    return new Result(input.getPipeline(),
        out.get(SPILLS).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()), out.get(KEY_MOVES).setCoder(ChangeCoder.of()));
  }

  /**
   * The spill files, keyed by batch ({@code <batch>:<table>}), what the read rejected, and the
   * partial key moves it spilled (with a read that passes them on: {@link ReadChanges#passingKeyMoves}).
   */
  public static final class Result extends ReadOutput<KV<String, String>> {
    private Result(Pipeline pipeline, PCollection<KV<String, String>> spills, PCollection<DeadLetter> deadLetters,
        PCollection<Change> keyMoves) {
      super(pipeline, SPILLS, spills, DEAD_LETTERS, deadLetters, KEY_MOVES, keyMoves);
    }

    public PCollection<KV<String, String>> spills() {
      return read();
    }
  }

  /** Splits each file into the ranges its decoder reads on their own. */
  static final class SplitFn extends DoFn<FileIO.ReadableFile, KV<FileIO.ReadableFile, OffsetRange>> {
    private final FileDecoder decoder;
    private final long rangeBytes;

    SplitFn(FileDecoder decoder, long rangeBytes) {
      this.decoder = decoder;
      this.rangeBytes = rangeBytes;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<KV<FileIO.ReadableFile, OffsetRange>> out) {
      for (OffsetRange range : decoder.split(file, rangeBytes)) {
        out.output(KV.of(file, range));
      }
    }
  }

  private static final class SpillFn extends DoFn<KV<FileIO.ReadableFile, OffsetRange>, KV<String, String>> {
    private final FileDecoder decoder;
    private final int batches;
    private final String directory;
    private final Counter cpu = Counters.counter(DECODE_CPU_NANOS);

    SpillFn(FileDecoder decoder, int batches, String directory) {
      this.decoder = decoder;
      this.batches = batches;
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element KV<FileIO.ReadableFile, OffsetRange> range, MultiOutputReceiver out)
        throws IOException {
      long cpuStart = Counters.threadCpuNanos();
      // Files of their own per range: a retried range writes new ones, and only the files of the
      // attempt that succeeded are passed on.
      Map<String, String> files;
      try (SpillWriter spill = new SpillWriter(batches, directory)) {
        OutputReceiver<Change> moves = out.get(KEY_MOVES);
        decoder.read(range.getKey(), range.getValue(), c -> {
          spill.write(c);
          if (c.movedFrom() != null) {
            moves.output(c);
          }
        }, out.get(DEAD_LETTERS)::output);
        files = spill.finish();
      }
      OutputReceiver<KV<String, String>> spills = out.get(SPILLS);
      files.forEach((key, file) -> spills.output(KV.of(key, file)));
      cpu.inc(Counters.threadCpuNanos() - cpuStart);
    }
  }

  private static final class SpillChangesFn extends DoFn<Change, KV<String, String>> {
    private final int batches;
    private final String directory;
    private transient SpillWriter spill;

    SpillChangesFn(int batches, String directory) {
      this.batches = batches;
      this.directory = directory;
    }

    @StartBundle
    public void start() {
      spill = new SpillWriter(batches, directory);
    }

    @ProcessElement
    public void process(@Element Change c) {
      spill.write(c);
    }

    @FinishBundle
    public void finish(FinishBundleContext out) throws IOException {
      for (Map.Entry<String, String> e : spill.finish().entrySet()) {
        out.output(KV.of(e.getKey(), e.getValue()), BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE);
      }
      spill = null;
    }
  }
}
