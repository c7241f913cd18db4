package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.common.ByteSize;
import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.postgres.ReplicationSlot;

/**
 * The {@link ReplicationSlotOptions}, checked: the slot and publication a run reads a PostgreSQL
 * database's changes from, how much WAL it may hold before a warning, whether it is dropped at the
 * end; null when no slot is named.
 */
record SlotPlan(ReplicationSlot slot, long maxLagBytes, boolean dropOnExit) {
  /** A batch run's slot: one table, the only source of changes. */
  static SlotPlan from(ReplicateOptions o, JdbcSourcePlan jdbc, SnapshotPlan snapshot, ChangeInputPlan changes) {
    SlotPlan slot = of(o, jdbc == null ? null : jdbc.source());
    if (slot == null) {
      return null;
    }
    if (jdbc.table() == null) {
      throw new OptionsException("--slot follows a table: give --jdbcTable instead of --jdbcQuery");
    }
    if (changes.changes() != null) {
      throw new OptionsException("--slot and --changes both give changes; use one");
    }
    if (Boolean.TRUE.equals(o.getFirstReadsInJob())) {
      throw new OptionsException("--firstReadsInJob applies to --tables runs: a run of one --jdbcTable reads the table"
          + " in its own job already");
    }
    if (snapshot.replace() || snapshot.sequence() != null) {
      throw new OptionsException((snapshot.replace() ? "--snapshotMode=replace" : "--snapshotSequence")
          + " does not apply with --slot: the first run reads the whole table at the slot's position by itself");
    }
    return slot;
  }

  /** The slot the options name on the {@code --jdbcUrl} database, or null when they name none. */
  static SlotPlan of(ReplicateOptions o, JdbcSource source) {
    String name = blankToNull(o.getSlot());
    if (name == null) {
      if (blankToNull(o.getPublication()) != null) {
        throw new OptionsException("--publication names what a replication slot decodes; give --slot too");
      }
      if (Boolean.TRUE.equals(o.getFirstReadsInJob())) {
        throw new OptionsException("--firstReadsInJob is about the tables a replication slot follows; give --slot too");
      }
      return null;
    }
    if (source == null || !source.isPostgres()) {
      throw new OptionsException("--slot reads a PostgreSQL database's changes: give --jdbcUrl=jdbc:postgresql://...");
    }
    String publication = blankToNull(o.getPublication());
    // The publication of a --tables run (a stream, or runs on a schedule), named after its slot,
    // takes the tables named later; a run of one --jdbcTable never widens one.
    boolean stream = StreamPlan.streaming(o) || StreamPlan.slotCatchUp(o);
    ReplicationSlot slot = wrap(() -> publication != null || !stream ? ReplicationSlot.of(source, name,
        publication != null ? publication : name) : ReplicationSlot.withOwnPublication(source, name), "--slot");
    long maxLag = wrap(() -> ByteSize.parse(o.getMaxSlotLag()), "--maxSlotLag");
    return new SlotPlan(slot, maxLag, Boolean.TRUE.equals(o.getDropSlotOnExit()));
  }

  /** Drops the slot when the options ask for it; says so, or why it could not. */
  void dropIfAsked(java.io.PrintStream out) {
    if (!dropOnExit) {
      return;
    }
    try {
      slot.drop();
      out.println("dropped " + slot + " (--dropSlotOnExit)");
    } catch (java.sql.SQLException e) {
      out.println("could not drop " + slot + ": " + e.getMessage());
    }
  }
}
