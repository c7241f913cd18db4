package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;

import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.postgres.ReplicationSlot;

/**
 * The {@link ReplicationSlotOptions}, checked: the slot and publication a batch run reads a
 * PostgreSQL table's changes from, or null when no slot is named.
 */
record SlotPlan(ReplicationSlot slot) {
  static SlotPlan from(ReplicateOptions o, JdbcSourcePlan jdbc, SnapshotPlan snapshot, ChangeInputPlan changes) {
    ReplicationSlot slot = slot(o, jdbc == null ? null : jdbc.source());
    if (slot == null) {
      return null;
    }
    if (jdbc.table() == null) {
      throw new OptionsException("--slot follows a table: give --jdbcTable instead of --jdbcQuery");
    }
    if (changes.changes() != null) {
      throw new OptionsException("--slot and --changes both give changes; use one");
    }
    if (snapshot.replace() || snapshot.sequence() != null) {
      throw new OptionsException((snapshot.replace() ? "--snapshotMode=replace" : "--snapshotSequence")
          + " does not apply with --slot: the first run reads the whole table at the slot's position by itself");
    }
    return new SlotPlan(slot);
  }

  /** The slot the options name on the {@code --jdbcUrl} database, or null when they name none. */
  static ReplicationSlot slot(ReplicateOptions o, JdbcSource source) {
    String name = blankToNull(o.getSlot());
    if (name == null) {
      if (blankToNull(o.getPublication()) != null) {
        throw new OptionsException("--publication names what a replication slot decodes; give --slot too");
      }
      return null;
    }
    if (source == null || !source.isPostgres()) {
      throw new OptionsException("--slot reads a PostgreSQL database's changes: give --jdbcUrl=jdbc:postgresql://...");
    }
    String publication = blankToNull(o.getPublication());
    return OptionChecks.wrap(() -> ReplicationSlot.of(source, name, publication != null ? publication : name), "--slot");
  }
}
