package io.replicator.source;

import io.replicator.change.Change;
import java.util.function.Consumer;

/** Turns one input line into zero or more normalised changes; one instance per thread. */
public interface ChangeDecoder {
  /**
   * @return how many changes were emitted; zero for input that carries no change (a Debezium
   *     tombstone or heartbeat)
   * @throws RejectedInputException when the line is bad; its message is the reason
   */
  int decode(String line, Consumer<Change> out) throws RejectedInputException;

  /**
   * The canonical key of a line {@link #decode} rejected, when its key columns can still be read;
   * null when they cannot. Snapshot decoders say it, so that a reload keeps the row of a rejected
   * line instead of removing it as absent; change decoders need not.
   */
  default String keyOfRejected(String line) {
    return null;
  }
}
