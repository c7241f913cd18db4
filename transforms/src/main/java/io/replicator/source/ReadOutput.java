package io.replicator.source;

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
 * spill files), and the input it rejected. Subclasses name the first.
 */
public abstract class ReadOutput<T> implements POutput {
  private final Pipeline pipeline;
  private final TupleTag<T> tag;
  private final PCollection<T> read;
  private final TupleTag<DeadLetter> deadLetterTag;
  private final PCollection<DeadLetter> deadLetters;

  protected ReadOutput(Pipeline pipeline, TupleTag<T> tag, PCollection<T> read, TupleTag<DeadLetter> deadLetterTag,
      PCollection<DeadLetter> deadLetters) {
    this.pipeline = pipeline;
    this.tag = tag;
    this.read = read;
    this.deadLetterTag = deadLetterTag;
    this.deadLetters = deadLetters;
  }

  protected PCollection<T> read() {
    return read;
  }

  /** The input the read rejected, each with its source, line, text and reason. */
  public PCollection<DeadLetter> deadLetters() {
    return deadLetters;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    return Map.of(tag, read, deadLetterTag, deadLetters);
  }

  @Override
  public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
}
