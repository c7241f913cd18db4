package io.replicator.source;

import io.replicator.change.Change;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * What a read produces: what it read, in the form its next step takes (changes, reduced batches,
 * spill files), the input it rejected, and, for reads that pass them on, the partial key moves
 * among what it read. Subclasses name the first.
 */
public abstract class ReadOutput<T> implements POutput {
  private final Pipeline pipeline;
  private final TupleTag<T> tag;
  private final PCollection<T> read;
  private final TupleTag<DeadLetter> deadLetterTag;
  private final PCollection<DeadLetter> deadLetters;
  private final TupleTag<Change> keyMovesTag;
  private final PCollection<Change> keyMoves;

  protected ReadOutput(Pipeline pipeline, TupleTag<T> tag, PCollection<T> read, TupleTag<DeadLetter> deadLetterTag,
      PCollection<DeadLetter> deadLetters) {
    this(pipeline, tag, read, deadLetterTag, deadLetters, null, null);
  }

  protected ReadOutput(Pipeline pipeline, TupleTag<T> tag, PCollection<T> read, TupleTag<DeadLetter> deadLetterTag,
      PCollection<DeadLetter> deadLetters, TupleTag<Change> keyMovesTag, PCollection<Change> keyMoves) {
    this.pipeline = pipeline;
    this.tag = tag;
    this.read = read;
    this.deadLetterTag = deadLetterTag;
    this.deadLetters = deadLetters;
    this.keyMovesTag = keyMovesTag;
    this.keyMoves = keyMoves;
  }

  protected PCollection<T> read() {
    return read;
  }

  /** The input the read rejected, each with its source, line, text and reason. */
  public PCollection<DeadLetter> deadLetters() {
    return deadLetters;
  }

  /**
   * The partial UPSERTs of key moves ({@link Change#movedFrom}) the read passed on (with {@link
   * ReadChanges#passingKeyMoves}), also among what it read; null for a read that does not say.
   */
  public PCollection<Change> keyMoves() {
    return keyMoves;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    Map<TupleTag<?>, PValue> outputs = new HashMap<>(Map.of(tag, read, deadLetterTag, deadLetters));
    if (keyMoves != null) {
      outputs.put(keyMovesTag, keyMoves);
    }
    return outputs;
  }

  @Override
  public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
}
