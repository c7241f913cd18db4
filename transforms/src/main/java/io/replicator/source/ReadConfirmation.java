package io.replicator.source;

import java.io.Serializable;

/**
 * Tells a source that what a run read from it is applied, so it need not be read again: a
 * replication slot confirmed past the run's changes. Called once, after every merge of the run and
 * every dead letter it wrote; a run that fails before never calls it, and reads the same again.
 */
public interface ReadConfirmation extends Serializable {
  void confirm() throws Exception;
}
