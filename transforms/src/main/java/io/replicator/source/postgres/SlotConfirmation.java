package io.replicator.source.postgres;

import io.replicator.source.ReadConfirmation;

/** Confirms a replication slot to the position a run read its changes up to. */
public record SlotConfirmation(ReplicationSlot slot, long position) implements ReadConfirmation {
  @Override
  public void confirm() throws Exception {
    slot.confirm(position);
  }
}
