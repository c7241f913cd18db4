package io.replicator.warehouse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.auto.value.AutoValue;
import io.replicator.batch.StagingPaths;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Reload;
import io.replicator.warehouse.spi.ReloadIncompleteException;
import io.replicator.warehouse.spi.ReloadRefusedException;
import io.replicator.warehouse.spi.ReloadResult;
import io.replicator.warehouse.spi.Warehouse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Applies a full-table reload once every batch is staged, all or nothing: the batches, then the
 * removal of the rows the snapshot no longer has, in one warehouse transaction. Nothing is merged
 * before the whole snapshot is read, staged and checked, so a reload refused by its delete bound
 * leaves the table exactly as it was.
 *
 * <p>Rows whose snapshot line was rejected are not removed: a rejected line whose key can still be
 * read keeps that key's row; one whose key cannot be read stops the removal altogether (the rows
 * are applied, nothing is removed, and the transform fails saying where those lines are).
 *
 * <pre>{@code
 * PCollectionView<Iterable<String>> rejected = snapshotDeadLetters.apply(ApplyReload.rejectedKeys());
 * staged.apply(ApplyReload.into(warehouse, target, 1000, 50.0, "local/staging")
 *     .keepingRowsOf(rejected, "local/staging/dead-letters"));
 * }</pre>
 */
@AutoValue
public abstract class ApplyReload extends PTransform<PCollection<StagedBatch>, PCollection<ReloadResult>> {
  public static final String ROWS_REMOVED_BY_RELOAD = "rows_removed_by_reload";
  public static final String ROWS_KEPT_FOR_REJECTED_LINES = "rows_kept_for_rejected_lines";
  public static final String REJECTED_LINES_WITHOUT_KEY = "rejected_snapshot_lines_without_key";

  abstract WarehouseSpec warehouse();

  abstract TargetTable table();

  abstract Reload reload();

  abstract String staging();

  abstract boolean keepStaging();

  abstract @Nullable PCollectionView<Iterable<String>> rejectedKeysView();

  abstract @Nullable String deadLetters();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setWarehouse(WarehouseSpec warehouse);

    abstract Builder setTable(TargetTable table);

    abstract Builder setReload(Reload reload);

    abstract Builder setStaging(String staging);

    abstract Builder setKeepStaging(boolean keep);

    abstract Builder setRejectedKeysView(PCollectionView<Iterable<String>> keys);

    abstract Builder setDeadLetters(String deadLetters);

    abstract ApplyReload build();
  }

  /**
   * A reload of {@code table} whose rows are at {@code sequence}, removing at most
   * {@code maxDeletePercent} of the live rows; the keys it keeps are staged under {@code staging}.
   */
  public static ApplyReload into(WarehouseSpec warehouse, TargetTable table, long sequence, double maxDeletePercent,
      String staging) {
    return new AutoValue_ApplyReload.Builder().setWarehouse(warehouse).setTable(table)
        .setReload(new Reload(sequence, maxDeletePercent, null, true)).setStaging(staging).setKeepStaging(false)
        .build();
  }

  /**
   * Keeps the rows of rejected snapshot lines ({@link #rejectedKeys}); {@code deadLetters} says
   * where those lines were written, for the message when some have no readable key.
   */
  public ApplyReload keepingRowsOf(PCollectionView<Iterable<String>> rejectedKeys, String deadLetters) {
    return toBuilder().setRejectedKeysView(rejectedKeys).setDeadLetters(deadLetters).build();
  }

  /** Keeps the staged files once applied (for inspection). */
  public ApplyReload keepingStaging(boolean keep) {
    return toBuilder().setKeepStaging(keep).build();
  }

  /**
   * The keys of rejected snapshot lines, as {@link #keepingRowsOf} reads them: each line's key, or
   * an empty string for a line whose key could not be read.
   */
  public static PTransform<PCollection<DeadLetter>, PCollectionView<Iterable<String>>> rejectedKeys() {
    return new PTransform<>() {
      @Override
      public PCollectionView<Iterable<String>> expand(PCollection<DeadLetter> rejected) {
        return rejected
            .apply("Keys", MapElements.into(TypeDescriptors.strings()).via(d -> d.key() == null ? "" : d.key()))
            .setCoder(StringUtf8Coder.of())
            .apply("As side input", View.asIterable());
      }
    };
  }

  @Override
  public Map<TupleTag<?>, PValue> getAdditionalInputs() {
    PCollectionView<Iterable<String>> keys = rejectedKeysView();
    return keys == null ? Map.of() : Map.of(keys.getTagInternal(), keys.getPCollection());
  }

  @Override
  public PCollection<ReloadResult> expand(PCollection<StagedBatch> batches) {
    PCollectionView<List<StagedBatch>> all = batches.apply("All batches", View.asList());
    ApplyFn fn = new ApplyFn(warehouse(), table(), reload(), staging(), keepStaging(), all, rejectedKeysView(),
        deadLetters());
    ParDo.SingleOutput<Long, ReloadResult> apply = ParDo.of(fn).withSideInputs(all);
    if (rejectedKeysView() != null) {
      apply = apply.withSideInputs(rejectedKeysView());
    }
    // Counting the batches emits once every one is staged, and once (zero) for an empty snapshot,
    // which a reload must apply too: it removes the rows.
    return batches
        .apply("Wait for all batches", Count.globally())
        .apply("Apply reload", apply)
        .setCoder(ReloadResult.coder());
  }

  private static final class ApplyFn extends DoFn<Long, ReloadResult> {
    private static final JsonFactory JSON = new JsonFactory();

    private final WarehouseSpec spec;
    private final TargetTable table;
    private final Reload reload;
    private final String staging;
    private final boolean keepStaging;
    private final PCollectionView<List<StagedBatch>> batches;
    private final PCollectionView<Iterable<String>> rejectedKeys;
    private final String deadLetters;
    private final MergeCounters counters = new MergeCounters();
    private final Counter removed = Counters.counter(ROWS_REMOVED_BY_RELOAD);
    private final Counter kept = Counters.counter(ROWS_KEPT_FOR_REJECTED_LINES);
    private final Counter keyless = Counters.counter(REJECTED_LINES_WITHOUT_KEY);

    ApplyFn(WarehouseSpec spec, TargetTable table, Reload reload, String staging, boolean keepStaging,
        PCollectionView<List<StagedBatch>> batches, PCollectionView<Iterable<String>> rejectedKeys,
        String deadLetters) {
      this.spec = spec;
      this.table = table;
      this.reload = reload;
      this.staging = staging;
      this.keepStaging = keepStaging;
      this.batches = batches;
      this.rejectedKeys = rejectedKeys;
      this.deadLetters = deadLetters;
    }

    @ProcessElement
    public void process(ProcessContext ctx) throws IOException {
      List<StagedBatch> all = new ArrayList<>(ctx.sideInput(batches));
      long withoutKey = 0;
      String keptFile = null;
      if (rejectedKeys != null) {
        ResourceId file = StagingPaths.keptKeysFile(staging, table.name(), reload.sequence());
        long keys = 0;
        try (OutputStream os = Channels.newOutputStream(FileSystems.create(file, "application/json"))) {
          for (String key : ctx.sideInput(rejectedKeys)) {
            if (key.isEmpty()) {
              withoutKey++;
            } else {
              os.write(keyObject(key).getBytes(StandardCharsets.UTF_8));
              os.write('\n');
              keys++;
            }
          }
        }
        if (keys > 0) {
          keptFile = file.toString();
        } else {
          StagingPaths.delete(file.toString());
        }
      }
      Reload request = new Reload(reload.sequence(), reload.maxDeletePercent(), keptFile, withoutKey == 0);
      ReloadResult r;
      long start = System.nanoTime();
      try (Warehouse w = spec.open()) {
        r = w.applyReload(table, all, request);
      } catch (ReloadRefusedException e) {
        cleanUp(all, keptFile);
        throw e;
      }
      counters.count(r.merged(), r.batches(), (System.nanoTime() - start) / 1_000_000);
      if (!r.merged().alreadyApplied()) {
        removed.inc(r.removed());
        kept.inc(r.kept());
      }
      cleanUp(all, keptFile);
      if (withoutKey > 0) {
        keyless.inc(withoutKey);
        throw new ReloadIncompleteException(table.name() + ": " + withoutKey + " rejected snapshot line"
            + (withoutKey == 1 ? " has" : "s have") + " no readable key (dead letters in " + deadLetters + "), so any"
            + " row might be theirs: the reload's " + r.merged().rows() + " rows were applied and no row was"
            + " removed. Fix or remove those lines and run the reload again.");
      }
      ctx.output(r);
    }

    /** Staged files go once applied (or refused: a new run stages them again), unless kept. */
    private void cleanUp(List<StagedBatch> all, String keptFile) throws IOException {
      if (keepStaging) {
        return;
      }
      for (StagedBatch b : all) {
        StagingPaths.delete(b.file());
      }
      if (keptFile != null) {
        StagingPaths.delete(keptFile);
      }
    }

    /** A canonical key (a JSON array of the key columns' values) as a row of key columns. */
    private String keyObject(String key) throws IOException {
      StringWriter w = new StringWriter();
      try (JsonParser p = JSON.createParser(key); JsonGenerator g = JSON.createGenerator(w)) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
          throw new IOException("a rejected line's key is not a JSON array: " + key);
        }
        g.writeStartObject();
        for (String column : table.schema().keyColumns()) {
          p.nextToken();
          g.writeFieldName(column);
          g.copyCurrentStructure(p);
        }
        g.writeEndObject();
      }
      return w.toString();
    }
  }
}
