package io.replicator.source;

import io.replicator.change.Change;
import java.io.IOException;
import java.io.Serializable;
import java.util.Map;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;

/**
 * Where a read appends its changes when it must not pass them on as elements: a local runner keeps
 * a step's whole output in memory until the step ends, so a read that produces more than memory
 * holds (a replication slot's backlog) writes them to spill files instead and passes on the files
 * ({@link io.replicator.batch.SpillWriter} makes them). A writer per attempt at a piece of work.
 *
 * <pre>{@code
 * try (ChangeSpill.Writer spill = changeSpill.open()) {
 *   read.forEach(spill::write);
 *   spill.finish().forEach((batchKey, file) -> out.output(KV.of(batchKey, file)));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface ChangeSpill extends Serializable {
  Writer open();

  /**
   * A read that can append what it reads to spill files itself, passing on the files ({@link
   * ReadChanges.Result#spills}) instead of the changes.
   */
  interface Spilling {
    PTransform<PBegin, ReadChanges.Result> spillingInto(ChangeSpill spill);
  }

  /** The spill files of one attempt. */
  interface Writer extends AutoCloseable {
    void write(Change c);

    /** Closes every file: each batch key written to and its file. */
    Map<String, String> finish() throws IOException;

    /** Closes what is still open (a failed attempt: its files are never passed on). */
    @Override
    void close() throws IOException;
  }
}
