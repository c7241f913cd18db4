package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.firstLine;
import static io.replicator.pipelines.OptionChecks.requireMatches;

import io.replicator.batch.BatchPlan;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.source.InputFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * A batch replicate run, checked before anything runs: one plan per option group, and the rules
 * between groups here. Every problem is an {@link OptionsException} that names the option.
 *
 * @param jdbc the source database's snapshot read, or null
 * @param slot the replication slot the source table's changes come from, or null
 * @param launcherWaits this process waits for the job, so it can hold an exported database snapshot
 *     open for it
 */
record ReplicatePlan(
    TablePlan table,
    JdbcSourcePlan jdbc,
    SlotPlan slot,
    SnapshotPlan snapshot,
    ChangeInputPlan changes,
    StagingPlan staging,
    WarehousePlan warehouse,
    boolean launcherWaits) {

  static ReplicatePlan from(ReplicateOptions o) {
    StreamPlan.refuseStreamOptions(o);
    JdbcSourcePlan jdbc = JdbcSourcePlan.from(o);
    TablePlan table = TablePlan.from(o, jdbc != null);
    SnapshotPlan snapshot = SnapshotPlan.from(o);
    ChangeInputPlan changes = ChangeInputPlan.from(o, InputFormat.NATIVE);
    SlotPlan slot = SlotPlan.from(o, jdbc, snapshot, changes);
    if (jdbc != null && snapshot.files() != null) {
      throw new OptionsException("--snapshot and --jdbcUrl both give a snapshot; use one");
    }
    if (changes.changes() == null && snapshot.files() == null && jdbc == null) {
      throw new OptionsException("nothing to read: give --changes (change events), --snapshot (snapshot rows)"
          + " or --jdbcUrl (a source database)");
    }
    if (snapshot.replace() && snapshot.files() == null && jdbc == null) {
      throw new OptionsException("--snapshotMode=replace reloads the table from --snapshot or --jdbcUrl; neither is given");
    }
    StagingPlan staging = StagingPlan.from(o);
    WarehousePlan warehouse = WarehousePlan.from(o, table.schema(), staging.staging());
    if (warehouse.cdc()) {
      refuseWithCdc(table, snapshot);
      if (slot != null) {
        throw new OptionsException("--slot is confirmed once its changes are merged; BigQuery applies CDC writes later:"
            + " use --bigQueryWriteMethod=merge");
      }
    }
    if (changes.changes() != null) {
      requireMatches(changes.changes(), "--changes");
    }
    if (snapshot.files() != null) {
      requireMatches(snapshot.files(), "--snapshot");
    }
    return new ReplicatePlan(table, jdbc, slot, snapshot, changes, staging, warehouse, Launch.waits(o));
  }

  private static void refuseWithCdc(TablePlan table, SnapshotPlan snapshot) {
    if (table.deleteMode() == DeleteMode.SOFT) {
      throw new OptionsException("--bigQueryWriteMethod=cdc deletes rows; --deletes=soft needs the merge method");
    }
    if (snapshot.replace()) {
      throw new OptionsException("--snapshotMode=replace is not supported with --bigQueryWriteMethod=cdc;"
          + " reload with the merge method");
    }
    if (snapshot.verify()) {
      throw new OptionsException("--verify cannot follow a cdc run: BigQuery applies CDC writes in the"
          + " background (within --maxStaleness), so run 'verify' once they are applied");
    }
  }

  /** This plan with the table's schema as read from the source database. */
  ReplicatePlan withTable(TablePlan resolved) {
    return new ReplicatePlan(resolved, jdbc, slot, snapshot, changes, staging, warehouse, launcherWaits);
  }

  /** The target table; its schema is known once the source database was read at launch. */
  TargetTable target() {
    return table.target();
  }

  /** Whether the run loads a snapshot (files or a database). */
  boolean hasSnapshot() {
    return snapshot.files() != null || jdbc != null;
  }

  /** The input files' total size, and whether each is read as it lies (not compressed). */
  record InputSize(long bytes, boolean uncompressed) {}

  /** The size of the snapshot and change files (none: zero). */
  InputSize inputSize() {
    long bytes = 0;
    boolean uncompressed = true;
    for (String pattern : new String[] {snapshot.files(), changes.changes()}) {
      if (pattern == null) {
        continue;
      }
      try {
        for (MatchResult.Metadata m : FileSystems.match(pattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD).metadata()) {
          bytes += m.sizeBytes();
          uncompressed &= Compression.detect(m.resourceId().getFilename()) == Compression.UNCOMPRESSED;
        }
      } catch (IOException e) {
        throw new OptionsException(pattern + ": cannot list the files (" + firstLine(e) + ")");
      }
    }
    return new InputSize(bytes, uncompressed);
  }

  /** How many batches file input is cut into, from the files' sizes ({@link BatchPlan#forInputBytes}). */
  int batchCountFromInputSize() {
    return BatchPlan.forInputBytes(inputSize().bytes(), staging.batchMaxBytes(), staging.batchMaxRows());
  }

  /** Identifies a snapshot input (its files and their sizes), so a re-run can resume its reload. */
  String snapshotFingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((table.name() + "\n" + snapshot.replace() + "\n").getBytes(StandardCharsets.UTF_8));
      List<String> files = new ArrayList<>();
      for (MatchResult.Metadata m : FileSystems.match(snapshot.files(), EmptyMatchTreatment.DISALLOW).metadata()) {
        files.add(m.resourceId() + "\t" + m.sizeBytes());
      }
      files.sort(null);
      for (String f : files) {
        sha.update((f + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (IOException e) {
      throw new OptionsException("--snapshot=" + snapshot.files() + ": cannot list the files: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
