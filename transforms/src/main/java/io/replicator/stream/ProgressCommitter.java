package io.replicator.stream;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Tells a source how far its events are merged, so a restarted pipeline resumes there: a Kafka
 * consumer group's offsets, Pub/Sub acknowledgements. Called once a window is merged with the
 * highest position of each source whose events, and every event before them, are merged, and
 * with the ack ids of the window's events, by source.
 */
public interface ProgressCommitter extends Serializable {
  void commit(Map<String, Long> positions, Map<String, List<String>> ackIds) throws Exception;

  /**
   * Whether positions are committed to the source (Kafka offsets). Otherwise they are not kept:
   * a file stream's positions, one source per file, would only grow.
   */
  default boolean keepsPositions() {
    return false;
  }

  /** Releases what committing holds (a connection); called when the worker is done with it. */
  default void close() {}

  /** For sources that keep no progress (files are read whole, and re-reading them is harmless). */
  ProgressCommitter NONE = (positions, ackIds) -> {};
}
