package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.source.DeadLetter;
import io.replicator.source.FileDecoder;
import io.replicator.source.ReadChanges;
import io.replicator.source.ReadOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads change files and cuts them into batches of whole keys ({@link StageBatches#batchKey}) as
 * it reads, keeping the latest change per key of each: a file leaves the read as a few accumulators
 * per batch (of up to {@value #REDUCED_ROWS} keys) instead of one element per line, whose moving
 * between steps is most of a local runner's cost. {@link StageBatches#reduced} then merges the
 * readers' accumulators of each batch and stages it.
 *
 * <pre>{@code
 * ReduceWhileReading.Result read = p.apply(ReduceWhileReading.of(
 *     ReadChanges.from("changes/*.jsonl").withTable("t").withSchema(schema), 16));
 * PCollection<StagedBatch> staged = read.batches().apply(StageBatches.reduced(staging, 256 << 20, 5_000_000));
 * }</pre>
 */
public final class ReduceWhileReading extends PTransform<PBegin, ReduceWhileReading.Result> {
  /** Keys an accumulator holds before it is sent on (about 1 MB of rows). */
  static final int REDUCED_ROWS = 4096;

  private static final TupleTag<KV<String, LatestPerKey>> BATCHES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<Change> KEY_MOVES = new TupleTag<>() {};

  private final ReadChanges read;
  private final int batches;

  private ReduceWhileReading(ReadChanges read, int batches) {
    this.read = read;
    this.batches = batches;
  }

  /** Reads what {@code read} reads, into {@code batches} batches. */
  public static ReduceWhileReading of(ReadChanges read, int batches) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return new ReduceWhileReading(read, batches);
  }

  @Override
  public Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("Files", read.files())
        .apply("Decode and reduce", ParDo.of(new ReduceFileFn(read.decoder(), batches))
            .withOutputTags(BATCHES, TupleTagList.of(DEAD_LETTERS).and(KEY_MOVES)));
    return new Result(input.getPipeline(),
        out.get(BATCHES).setCoder(KvCoder.of(StringUtf8Coder.of(), LatestPerKeyFn.AccumulatorCoder.of())),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()), out.get(KEY_MOVES).setCoder(ChangeCoder.of()));
  }

  /**
   * Each file's batches, keyed {@code <batch>:<table>}, what the read rejected, and the partial key
   * moves it read (with a read that passes them on: {@link ReadChanges#passingKeyMoves}).
   */
  public static final class Result extends ReadOutput<KV<String, LatestPerKey>> {
    private Result(Pipeline pipeline, PCollection<KV<String, LatestPerKey>> batches,
        PCollection<DeadLetter> deadLetters, PCollection<Change> keyMoves) {
      super(pipeline, BATCHES, batches, DEAD_LETTERS, deadLetters, KEY_MOVES, keyMoves);
    }

    public PCollection<KV<String, LatestPerKey>> batches() {
      return read();
    }
  }

  private static final class ReduceFileFn extends DoFn<FileIO.ReadableFile, KV<String, LatestPerKey>> {
    private final FileDecoder decoder;
    private final int batches;

    ReduceFileFn(FileDecoder decoder, int batches) {
      this.decoder = decoder;
      this.batches = batches;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) throws IOException {
      // A batch's accumulator is sent on when it holds REDUCED_ROWS keys (runners sort records in
      // bounded buffers; Flink's refuses a whole batch as one record) and at the end of the file.
      Map<String, LatestPerKey> perBatch = new HashMap<>();
      OutputReceiver<KV<String, LatestPerKey>> reduced = out.get(BATCHES);
      OutputReceiver<Change> moves = out.get(KEY_MOVES);
      Consumer<Change> changes = c -> {
        if (c.movedFrom() != null) {
          moves.output(c);
        }
        String key = StageBatches.batchKey(c, batches);
        LatestPerKey latest = perBatch.computeIfAbsent(key, k -> new LatestPerKey());
        latest.add(c);
        if (latest.size() >= REDUCED_ROWS) {
          reduced.output(KV.of(key, latest));
          perBatch.remove(key);
        }
      };
      decoder.read(file, changes, out.get(DEAD_LETTERS)::output);
      perBatch.forEach((key, latest) -> reduced.output(KV.of(key, latest)));
    }
  }
}
