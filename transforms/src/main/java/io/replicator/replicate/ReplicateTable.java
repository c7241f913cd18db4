package io.replicator.replicate;

import com.google.auto.value.AutoValue;
import io.replicator.batch.CompleteKeyMoves;
import io.replicator.batch.LatestPerKey;
import io.replicator.batch.ReduceWhileReading;
import io.replicator.batch.SpillBatches;
import io.replicator.batch.SpillWriter;
import io.replicator.batch.StageAsRead;
import io.replicator.batch.StageBatches;
import io.replicator.batch.StagingPaths;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.source.ChangeSpill;
import io.replicator.source.ConfirmRead;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.source.ReadConfirmation;
import io.replicator.source.WriteDeadLetters;
import io.replicator.warehouse.ApplyReload;
import io.replicator.warehouse.FinishSnapshot;
import io.replicator.warehouse.MergeBatches;
import io.replicator.warehouse.ReadTargetRows;
import io.replicator.warehouse.RowsWithoutBase;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.bigquery.WriteChangesToBigQuery;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.ReloadResult;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The batch replicate flow, whole: a snapshot (files or a database table) and/or change files,
 * decoded (rejected input to dead-letter files), cut into batches of whole keys with the latest
 * change per key, staged as JSONL and merged into the target; a full-table reload applied as one
 * unit once everything is staged; or, with {@link #writingCdc}, written as BigQuery CDC rows.
 *
 * <pre>{@code
 * p.apply(ReplicateTable.into(warehouse, target)
 *     .withStaging("local/staging").withDeadLetters("local/staging/dead-letters")
 *     .withSnapshot(ReadChanges.from("export/*.jsonl").withFormat(InputFormat.SNAPSHOT_JSONL)
 *         .withTable("spind_dly").withSchema(schema).withSnapshotSequence(Sequence.of(1000)))
 *     .withChanges(ReadChanges.from("cdc/*.jsonl").withTable("spind_dly").withSchema(schema))
 *     .replacing(1000, 50.0));
 * }</pre>
 *
 * <p>When every input is files (no table, no CDC writes) and {@link #reducingWhileReading} gives a
 * batch count, the files are cut into batches and reduced as they are read.
 *
 * <p>Outputs what it applied: the ids of the batches merged and the dead-letter files written
 * (with CDC writes, the dead-letter files), each once it exists, so that a later step can wait for
 * the whole table ({@code Wait.on}).
 */
@AutoValue
public abstract class ReplicateTable extends PTransform<PBegin, PCollection<String>> {
  abstract WarehouseSpec warehouse();

  abstract TargetTable table();

  abstract @Nullable String staging();

  abstract @Nullable String deadLetters();

  abstract @Nullable ReadChanges snapshotFiles();

  abstract @Nullable PTransform<PBegin, ReadChanges.Result> snapshotTable();

  abstract @Nullable ReadChanges changeFiles();

  abstract @Nullable PTransform<PBegin, ReadChanges.Result> changeSource();

  abstract @Nullable ReadConfirmation confirmation();

  abstract long batchMaxBytes();

  abstract long batchMaxRows();

  abstract int reduceIntoBatches();

  abstract boolean spill();

  abstract @Nullable Long reloadSequence();

  abstract double maxReloadDeletePercent();

  abstract boolean keepStaging();

  abstract boolean cdc();

  abstract boolean stageAsRead();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setWarehouse(WarehouseSpec warehouse);

    abstract Builder setTable(TargetTable table);

    abstract Builder setStaging(String staging);

    abstract Builder setDeadLetters(String deadLetters);

    abstract Builder setSnapshotFiles(ReadChanges read);

    abstract Builder setSnapshotTable(PTransform<PBegin, ReadChanges.Result> read);

    abstract Builder setChangeFiles(ReadChanges read);

    abstract Builder setChangeSource(PTransform<PBegin, ReadChanges.Result> read);

    abstract Builder setConfirmation(ReadConfirmation confirmation);

    abstract Builder setBatchMaxBytes(long bytes);

    abstract Builder setBatchMaxRows(long rows);

    abstract Builder setReduceIntoBatches(int batches);

    abstract Builder setSpill(boolean spill);

    abstract Builder setReloadSequence(Long sequence);

    abstract Builder setMaxReloadDeletePercent(double percent);

    abstract Builder setKeepStaging(boolean keep);

    abstract Builder setCdc(boolean cdc);

    abstract Builder setStageAsRead(boolean asRead);

    abstract ReplicateTable build();
  }

  /** Replicates into {@code table} of {@code warehouse}. */
  public static ReplicateTable into(WarehouseSpec warehouse, TargetTable table) {
    return new AutoValue_ReplicateTable.Builder().setWarehouse(warehouse).setTable(table)
        .setBatchMaxBytes(256L << 20).setBatchMaxRows(5_000_000L).setReduceIntoBatches(0).setSpill(false)
        .setMaxReloadDeletePercent(50).setKeepStaging(false).setCdc(false).setStageAsRead(true).build();
  }

  /** Where batches are staged (local for DuckDB, {@code gs://} for BigQuery). */
  public ReplicateTable withStaging(String staging) {
    return toBuilder().setStaging(staging).build();
  }

  /** Where rejected input is written, and the run id that names the files. */
  public ReplicateTable withDeadLetters(String directory) {
    return toBuilder().setDeadLetters(directory).build();
  }

  /** Snapshot rows from files, read at their snapshot sequence. */
  public ReplicateTable withSnapshot(ReadChanges read) {
    return toBuilder().setSnapshotFiles(read).build();
  }

  /** Snapshot rows from a database table (a JDBC read), rows it cannot convert rejected. */
  public ReplicateTable withSnapshotFrom(PTransform<PBegin, ReadChanges.Result> readTable) {
    return toBuilder().setSnapshotTable(readTable).build();
  }

  /** Change events from files. */
  public ReplicateTable withChanges(ReadChanges read) {
    return toBuilder().setChangeFiles(read).build();
  }

  /** Changes from a source that is not files (a replication slot), read as a whole. */
  public ReplicateTable withChangesFrom(PTransform<PBegin, ReadChanges.Result> read) {
    return toBuilder().setChangeSource(read).build();
  }

  /**
   * Confirms the read to its source once every batch is merged and every dead letter written (a
   * replication slot advanced past the changes read); a failed run confirms nothing.
   */
  public ReplicateTable confirmingTo(ReadConfirmation confirmation) {
    return toBuilder().setConfirmation(confirmation).build();
  }

  /** Batches of at most {@code bytes} of staged JSONL and {@code rows} rows. */
  public ReplicateTable withBatchBounds(long bytes, long rows) {
    if (bytes < 1024 || rows < 1) {
      throw new IllegalArgumentException("batches need at least 1KB and one row, got " + bytes + " bytes and "
          + rows + " rows");
    }
    return toBuilder().setBatchMaxBytes(bytes).setBatchMaxRows(rows).build();
  }

  /** Files only: cut into {@code batches} batches and reduced to the latest change per key as read. */
  public ReplicateTable reducingWhileReading(int batches) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return toBuilder().setReduceIntoBatches(batches).build();
  }

  /**
   * Cut into {@code batches} batches as read and spilled to files under the staging directory
   * ({@link SpillBatches}), then reduced one batch at a time, so memory is bounded by the batch size
   * whatever the input's size: files as they are decoded, a database snapshot as its rows arrive, a
   * replication slot's changes as it reads them ({@link ChangeSpill.Spilling}).
   * For runners whose shuffle holds groups in memory (the local ones); Dataflow's shuffle service
   * spills on its own.
   */
  public ReplicateTable spillingWhileReading(int batches) {
    return reducingWhileReading(batches).toBuilder().setSpill(true).build();
  }

  /**
   * A full-table reload at {@code sequence}: the rows older than it that the snapshot lacks are
   * removed, unless that is more than {@code maxDeletePercent} of the live rows.
   */
  public ReplicateTable replacing(long sequence, double maxDeletePercent) {
    if (maxDeletePercent < 0 || maxDeletePercent > 100) {
      throw new IllegalArgumentException("the largest share a reload may delete is 0 to 100 percent, got "
          + maxDeletePercent);
    }
    return toBuilder().setReloadSequence(sequence).setMaxReloadDeletePercent(maxDeletePercent).build();
  }

  /** Keeps staged files after they are applied (for inspection). */
  public ReplicateTable keepingStaging(boolean keep) {
    return toBuilder().setKeepStaging(keep).build();
  }

  /**
   * Whether snapshot files alone, spilled into a warehouse that applies a run's batches together
   * (DuckDB), are staged as they are read ({@link StageAsRead}, the default) instead of cut into
   * batches by key, reduced and sorted first. The two give the same target and dead letters.
   */
  public ReplicateTable stagingAsRead(boolean asRead) {
    return toBuilder().setStageAsRead(asRead).build();
  }

  /** Writes the latest change per key as BigQuery CDC rows instead of staging and merging. */
  public ReplicateTable writingCdc() {
    return toBuilder().setCdc(true).build();
  }

  private boolean hasSnapshot() {
    return snapshotFiles() != null || snapshotTable() != null;
  }

  @Override
  public PCollection<String> expand(PBegin input) {
    if (!hasSnapshot() && changeFiles() == null && changeSource() == null) {
      throw new IllegalStateException("ReplicateTable needs a snapshot or changes to read");
    }
    if (deadLetters() == null || (!cdc() && staging() == null)) {
      throw new IllegalStateException("ReplicateTable needs withDeadLetters() and, to merge, withStaging()");
    }
    if (cdc() && reloadSequence() != null) {
      throw new IllegalStateException("a full-table reload needs the merge method, not CDC writes");
    }
    if (cdc() && confirmation() != null) {
      throw new IllegalStateException("CDC writes are applied by BigQuery later: a source cannot be confirmed after them");
    }
    boolean reduce = reducesWhileReading();
    boolean asRead = stagesAsRead();
    Sources read = asRead ? readStagingAsRead(input) : reduce ? readReducing(input) : read(input);

    // CDC writes go straight to BigQuery (it adds the rows it refuses to the dead letters).
    PCollectionList<DeadLetter> rejected = read.rejected;
    if (cdc()) {
      rejected = rejected.and(read.changes.apply("Write CDC rows", WriteChangesToBigQuery
          .into(warehouse().bigQuery(), table()).withGroupBounds(batchMaxBytes(), batchMaxRows())));
      return writeDeadLetters("Write dead letters", rejected);
    }
    // Step 1: rejected input to dead-letter files, whatever becomes of the merge.
    PCollection<String> deadLetterFiles = writeDeadLetters("Write dead letters", rejected);

    // Step 2: batches of whole keys, the latest change per key, staged as JSONL; the keys of partial
    // key moves in a batch of their own.
    PCollection<StagedBatch> staged = asRead ? read.staged : stage(read, reduce);

    // Step 3: a reload applied as one unit, keeping the rows of rejected snapshot lines; else each
    // batch merged (a snapshot merged into the table then ends its reload record).
    PCollection<MergeResult> merged;
    if (reloadSequence() != null) {
      PCollectionView<Iterable<String>> rejectedKeys = read.snapshotRejected
          .apply("All snapshot dead letters", Flatten.pCollections()).setCoder(DeadLetter.coder())
          .apply("Rejected snapshot keys", ApplyReload.rejectedKeys());
      merged = staged.apply("Apply reload", ApplyReload.into(warehouse(), table(), reloadSequence(),
              maxReloadDeletePercent(), staging())
          .keepingRowsOf(rejectedKeys, WriteDeadLetters.files(deadLetters()))
          .keepingStaging(keepStaging()))
          .apply("Merged", MapElements.into(TypeDescriptor.of(MergeResult.class)).via(ReloadResult::merged))
          .setCoder(MergeResult.coder());
    } else {
      merged = staged.apply("Merge batches", MergeBatches.into(warehouse(), table()).keepingStaging(keepStaging()));
      if (hasSnapshot()) {
        merged.apply("Finish snapshot", FinishSnapshot.merging(warehouse(), table()));
      }
    }

    // Step 4: partial rows the merge found nothing to complete, to dead-letter files too.
    PCollection<String> withoutBaseFiles = writeDeadLetters("Write rows without base", PCollectionList.of(
        merged.apply("Rows without base", RowsWithoutBase.asDeadLetters())));

    // Step 5: the source told what is applied, once all of it is.
    PCollection<String> applied = PCollectionList.of(merged.apply("Merged batches",
            MapElements.into(TypeDescriptors.strings()).via(MergeResult::batchId)))
        .and(deadLetterFiles).and(withoutBaseFiles)
        .apply("Everything applied", Flatten.pCollections());
    if (confirmation() != null) {
      applied.apply("Confirm the read", ConfirmRead.to(confirmation()));
    }
    return applied;
  }

  /**
   * The read's changes staged in batches: spilled to disk as read (files) or as they arrive (a
   * database), reduced by each reader (files, for Dataflow), or reduced by a combine. Where change
   * files are spilled, the keys of partial key moves are staged apart ({@link CompleteKeyMoves}).
   */
  private PCollection<StagedBatch> stage(Sources read, boolean reduce) {
    if (spill()) {
      PCollectionList<KV<String, String>> spilled = read.spills;
      if (!reduce) {
        spilled = spilled.and(read.changes.apply("Spill", SpillBatches.changes(reduceIntoBatches(), spillDirectory())));
      }
      PCollection<KV<String, String>> spills = spilled.apply("All spill files", Flatten.pCollections());
      if (changeFiles() == null) {
        return spills.apply("Stage batches", StageBatches.spilled(staging(), batchMaxBytes(), batchMaxRows()));
      }
      PCollection<Change> moves = reduce
          ? read.keyMoves.apply("All key moves", Flatten.pCollections()).setCoder(ChangeCoder.of())
          : read.changes.apply("Key moves", Filter.by((Change c) -> c.movedFrom() != null));
      PCollectionView<List<String>> keys = moves.apply("Keys of key moves", CompleteKeyMoves.keysOf());
      PCollectionTuple staged = spills.apply("Stage batches",
          StageBatches.spilledHoldingOut(staging(), batchMaxBytes(), batchMaxRows(), keys));
      PCollection<StagedBatch> moved = staged.get(StageBatches.HELD_OUT).apply("Complete key moves",
          CompleteKeyMoves.into(table(), ReadTargetRows.in(warehouse()), staging(), batchMaxBytes(), batchMaxRows()));
      // No other batch holds the moves' keys: all batches merge independently, as ever.
      return PCollectionList.of(staged.get(StageBatches.STAGED)).and(moved)
          .apply("All staged", Flatten.pCollections()).setCoder(StagedBatch.coder());
    }
    if (reduce) {
      PCollection<KV<String, LatestPerKey>> reduced = read.reduced.apply("All batches", Flatten.pCollections());
      if (changeFiles() == null) {
        return reduced.apply("Stage batches", StageBatches.reduced(staging(), batchMaxBytes(), batchMaxRows()));
      }
      // The readers kept only each key's latest change: the moves' keys are left out of the batches
      // and their whole histories read again (only when there are moves), the old keys of split key
      // changes found first by their deletions at the moves' positions.
      Pipeline p = reduced.getPipeline();
      PCollection<String> moveIds = read.keyMoves.apply("All key moves", Flatten.pCollections())
          .setCoder(ChangeCoder.of()).apply("Ids of key moves", FlatMapElements.into(TypeDescriptors.strings())
              .via(PartialKeyMoves::idsOf));
      PCollectionView<List<String>> positions = moveIds.apply("Positions of key moves", View.asList());
      PCollection<String> deletedAtMoves = p.apply("Read deletions again", changeFilesRead().deletionsAt(positions))
          .apply("Their keys", MapElements.into(TypeDescriptors.strings())
              .via((Change c) -> PartialKeyMoves.id(c.table(), c.key())));
      PCollectionView<List<String>> keys = PCollectionList.of(moveIds).and(deletedAtMoves)
          .apply("All keys of key moves", Flatten.pCollections()).apply("Keys of key moves", View.asList());
      PCollection<StagedBatch> staged = reduced.apply("Stage batches",
          StageBatches.reducedLeavingOut(staging(), batchMaxBytes(), batchMaxRows(), keys));
      PCollectionList<Change> histories = PCollectionList.empty(p);
      if (snapshotFiles() != null) {
        histories = histories.and(p.apply("Read snapshot keys again", snapshotFiles().changesOf(keys)));
      }
      histories = histories.and(p.apply("Read change keys again", changeFilesRead().changesOf(keys)));
      PCollection<StagedBatch> moved = histories.apply("All key histories", Flatten.pCollections())
          .setCoder(ChangeCoder.of()).apply("Complete key moves",
              CompleteKeyMoves.into(table(), ReadTargetRows.in(warehouse()), staging(), batchMaxBytes(), batchMaxRows()));
      return PCollectionList.of(staged).and(moved).apply("All staged", Flatten.pCollections())
          .setCoder(StagedBatch.coder());
    }
    return read.changes.apply("Stage batches",
        StageBatches.to(staging()).withMaxBytes(batchMaxBytes()).withMaxRows(batchMaxRows()));
  }

  /**
   * Change files, their partial key moves passed on where this flow completes them: batches spilled
   * or reduced as read (the flows whose reads see every change of the run).
   */
  private ReadChanges changeFilesRead() {
    return changeFiles() != null && (spill() || reducesWhileReading()) ? changeFiles().passingKeyMoves()
        : changeFiles();
  }

  /**
   * Snapshot files are staged as read where nothing needs batches of whole keys: no change files
   * (their key moves are completed per batch), spilled (a local run), into a warehouse that applies
   * the run's batches as one change set, which takes files that each hold any keys.
   */
  private boolean stagesAsRead() {
    return stageAsRead() && spill() && reducesWhileReading() && snapshotFiles() != null && changeFiles() == null
        && warehouse().mergesOneAtATime();
  }

  private boolean reducesWhileReading() {
    return reduceIntoBatches() > 0 && snapshotTable() == null && changeSource() == null && !cdc();
  }

  private PCollection<String> writeDeadLetters(String step, PCollectionList<DeadLetter> rejected) {
    return rejected.apply(step + ": all", Flatten.pCollections()).setCoder(DeadLetter.coder())
        .apply(step, WriteDeadLetters.to(deadLetters()));
  }

  /** What the sources gave: changes (or reduced batches, or staged ones), all rejected input, the snapshot's. */
  private static final class Sources {
    PCollection<StagedBatch> staged;
    PCollection<Change> changes;
    PCollectionList<KV<String, LatestPerKey>> reduced;
    PCollectionList<KV<String, String>> spills;
    PCollectionList<Change> keyMoves;
    PCollectionList<DeadLetter> rejected;
    PCollectionList<DeadLetter> snapshotRejected;
  }

  private String spillDirectory() {
    return StagingPaths.spillDirectory(staging(), table().name());
  }

  private Sources read(PBegin input) {
    Sources s = new Sources();
    PCollectionList<Change> changes = PCollectionList.empty(input.getPipeline());
    s.spills = PCollectionList.empty(input.getPipeline());
    s.rejected = PCollectionList.empty(input.getPipeline());
    s.snapshotRejected = PCollectionList.empty(input.getPipeline());
    for (SourceRead r : List.of(
        new SourceRead("Read snapshot", snapshotFiles(), true),
        new SourceRead("Read source table", snapshotTable(), true),
        new SourceRead("Read changes", changeFilesRead(), false),
        new SourceRead("Read source changes", changeSource(), false))) {
      if (r.read == null) {
        continue;
      }
      PTransform<PBegin, ReadChanges.Result> read = r.read;
      if (spill() && read instanceof ChangeSpill.Spilling spilling) {
        // A read that spills itself: a local runner would hold its whole output otherwise.
        read = spilling.spillingInto(SpillWriter.into(reduceIntoBatches(), spillDirectory()));
      }
      ReadChanges.Result result = input.apply(r.name, read);
      changes = changes.and(result.changes());
      if (result.spills() != null) {
        s.spills = s.spills.and(result.spills());
      }
      s.rejected = s.rejected.and(result.deadLetters());
      if (r.snapshot) {
        s.snapshotRejected = s.snapshotRejected.and(result.deadLetters());
      }
    }
    s.changes = changes.apply("All changes", Flatten.pCollections()).setCoder(ChangeCoder.of());
    return s;
  }

  private Sources readReducing(PBegin input) {
    Sources s = new Sources();
    s.reduced = PCollectionList.empty(input.getPipeline());
    s.spills = PCollectionList.empty(input.getPipeline());
    s.keyMoves = PCollectionList.empty(input.getPipeline());
    s.rejected = PCollectionList.empty(input.getPipeline());
    s.snapshotRejected = PCollectionList.empty(input.getPipeline());
    for (SourceRead r : List.of(
        new SourceRead("Read snapshot", snapshotFiles(), true),
        new SourceRead("Read changes", changeFilesRead(), false))) {
      if (r.read == null) {
        continue;
      }
      PCollection<DeadLetter> rejected;
      if (spill()) {
        SpillBatches.Result result = input.apply(r.name, SpillBatches.of((ReadChanges) r.read, reduceIntoBatches(),
            spillDirectory()));
        s.spills = s.spills.and(result.spills());
        s.keyMoves = s.keyMoves.and(result.keyMoves());
        rejected = result.deadLetters();
      } else {
        ReduceWhileReading.Result result = input.apply(r.name,
            ReduceWhileReading.of((ReadChanges) r.read, reduceIntoBatches()));
        s.reduced = s.reduced.and(result.batches());
        s.keyMoves = s.keyMoves.and(result.keyMoves());
        rejected = result.deadLetters();
      }
      s.rejected = s.rejected.and(rejected);
      if (r.snapshot) {
        s.snapshotRejected = s.snapshotRejected.and(rejected);
      }
    }
    return s;
  }

  private Sources readStagingAsRead(PBegin input) {
    Sources s = new Sources();
    StageAsRead.Result result = input.apply("Read snapshot", StageAsRead.of(snapshotFiles(), staging())
        .withBatchBounds(batchMaxBytes(), batchMaxRows()));
    s.staged = result.staged();
    s.rejected = PCollectionList.of(result.deadLetters());
    s.snapshotRejected = PCollectionList.of(result.deadLetters());
    return s;
  }

  /** One source of the flow: its step name, its read, whether it is the snapshot. */
  private record SourceRead(String name, PTransform<PBegin, ReadChanges.Result> read, boolean snapshot) {}
}
