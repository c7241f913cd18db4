package io.replicator.stream;

import io.replicator.source.postgres.ReplicationSlot;
import java.util.List;
import java.util.Map;

/**
 * Confirms a replication slot to the position a stream's merged windows reach: the changes
 * committed before it are merged, so the source may drop their WAL and a restarted stream starts
 * there.
 */
public final class SlotPositions implements ProgressCommitter {
  private final ReplicationSlot slot;

  public SlotPositions(ReplicationSlot slot) {
    this.slot = slot;
  }

  @Override
  public void commit(Map<String, Long> positions, Map<String, List<String>> ackIds) throws Exception {
    Long position = positions.get(ReadSlotStream.sourceName(slot));
    if (position != null) {
      slot.confirm(position);
    }
  }

  @Override
  public boolean keepsPositions() {
    return true;
  }
}
