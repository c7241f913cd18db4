package io.replicator.pipelines;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.source.JsonlFiles;
import io.replicator.source.ReadChanges;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.verify.CompareTables;
import io.replicator.warehouse.ReadTargetRows;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Verification: the rows of a snapshot source (a database table or snapshot files) against the
 * live rows of the target, by count and fingerprint per group of keys; the keys that differ go to a
 * report. Run after a replicate ({@code --verify}) it reads the same exported snapshot the run read.
 */
final class VerifyPipeline {
  static final int EXIT_DIFFERENT = 3;

  private VerifyPipeline() {}

  /** What a verification found. */
  record Outcome(String table, long sourceRows, long targetRows, long rejected, long rejectedKeys, int groups,
      long groupsDiffering, long keysDiffering, String report, long wallMillis) {
    boolean matches() {
      return groupsDiffering == 0;
    }

    String render() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "verify %s: %s in %.1f s%n", table,
          matches() ? "source and target match" : "SOURCE AND TARGET DIFFER", wallMillis / 1000.0));
      sb.append(String.format(Locale.ROOT, "  %-11s %,d rows%n", "source", sourceRows));
      sb.append(String.format(Locale.ROOT, "  %-11s %,d rows%n", "target", targetRows));
      if (rejected > 0) {
        sb.append(String.format(Locale.ROOT, "  %-11s %,d source rows could not be read (dead letters); %,d of them"
            + " name their key, which is not compared%s%n", "rejected", rejected, rejectedKeys, rejected > rejectedKeys
            ? ", the other " + (rejected - rejectedKeys) + " name none, so their rows count as not in the source"
            : ""));
      }
      sb.append(String.format(Locale.ROOT, "  %-11s %,d of %,d key groups differ%s%n", "groups", groupsDiffering, groups,
          matches() ? "" : ", " + keysDiffering + " keys; report: " + report));
      return sb.toString();
    }
  }

  /** Verifies with a new read of the source. */
  static Outcome run(ReplicateOptions options) {
    FileSystems.setDefaultPipelineOptions(options);
    ReplicatePlan plan = ReplicatePlan.from(options);
    try (JdbcPlan jdbc = plan.jdbc == null ? null : JdbcPlan.prepare(plan)) {
      if (jdbc != null) {
        plan.table = new TargetTable(plan.tableName, jdbc.table.schema(), plan.deleteMode);
      }
      return run(options, plan, jdbc);
    }
  }

  /** Verifies {@code plan}'s snapshot source; {@code jdbc}, when given, is read as it was prepared. */
  static Outcome run(ReplicateOptions options, ReplicatePlan plan, JdbcPlan jdbc) {
    if (plan.changes != null) {
      throw new OptionsException("--verify compares a snapshot source with the target; with --changes there is"
          + " no one source state to compare with");
    }
    if (!plan.hasSnapshot()) {
      throw new OptionsException("verify needs a source to compare with: --jdbcUrl or --snapshot");
    }
    long start = System.currentTimeMillis();
    String runId = ReplicatePipeline.RUN_ID.format(ZonedDateTime.now(ZoneOffset.UTC));
    int groups = jdbc != null && jdbc.estimatedRows > 0
        ? (int) Math.max(8, Math.min(1024, jdbc.estimatedRows / 50_000)) : 16;
    String reportName = "verify-" + plan.table.name().replaceAll("[^A-Za-z0-9_-]", "_") + "-" + runId + ".jsonl";

    Pipeline p = Pipeline.create(options);
    ReadChanges.Result source;
    if (jdbc != null) {
      ReadJdbcSnapshot read = ReadJdbcSnapshot.of(plan.jdbc, jdbc.table, jdbc.ranges, Sequence.of(0), plan.table.name())
          .withFetchSize(plan.jdbcFetchSize);
      if (plan.maxThroughput > 0) {
        read = read.withMaxThroughput(plan.maxThroughput, JdbcPlan.THROTTLED_READERS);
      }
      source = p.apply("Read source table", jdbc.snapshot == null ? read : read.withSnapshotId(jdbc.snapshot.id()));
    } else {
      source = p.apply("Read snapshot", ReadChanges.from(plan.snapshot).withFormat(plan.snapshotFormat)
          .withTable(plan.table.name()).withSchema(plan.table.schema()).withSnapshotSequence(Sequence.of(0)));
    }
    PCollection<Change> target = p.apply("Read target", ReadTargetRows.of(plan.warehouse, plan.table));
    // A source row that could not be read says nothing of its key's row in the target.
    String tableName = plan.table.name();
    PCollection<Change> rejectedKeys = source.deadLetters()
        .apply("Keys of rejected rows", Filter.by(d -> d.key() != null))
        .apply("As keys", MapElements.into(TypeDescriptor.of(Change.class))
            .via(d -> new Change(tableName, ChangeOp.UPSERT, d.key(), Sequence.of(0), "")))
        .setCoder(ChangeCoder.of());
    PCollectionList.of(source.changes()).and(target.setCoder(ChangeCoder.of())).and(rejectedKeys)
        .apply(CompareTables.inGroups(groups))
        .apply("One report", WithKeys.of(0)).setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply("Collect", GroupByKey.create())
        .apply("Write report", ParDo.of(new WriteReportFn(plan.staging, reportName)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    RunSummary counters = RunSummary.of(result, 0);
    return new Outcome(plan.table.name(), counters.get(CompareTables.SOURCE_ROWS), counters.get(CompareTables.TARGET_ROWS),
        counters.get(ReadChanges.REJECTED), counters.get(CompareTables.KEYS_REJECTED), groups,
        counters.get(CompareTables.GROUPS_DIFFERING),
        counters.get(CompareTables.KEYS_DIFFERING), plan.staging + "/" + reportName, System.currentTimeMillis() - start);
  }

  private static final class WriteReportFn extends DoFn<KV<Integer, Iterable<String>>, Void> {
    private final String directory;
    private final String name;

    WriteReportFn(String directory, String name) {
      this.directory = directory;
      this.name = name;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<String>> lines) throws IOException {
      List<String> sorted = new ArrayList<>();
      lines.getValue().forEach(sorted::add);
      sorted.sort(null);
      JsonlFiles.write(directory, name, sorted);
    }
  }
}
