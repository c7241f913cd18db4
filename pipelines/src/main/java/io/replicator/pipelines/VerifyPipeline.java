package io.replicator.pipelines;

import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.source.ReadChanges;
import io.replicator.verify.CompareTables;
import io.replicator.verify.VerifyTable;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;

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
    try (JdbcPlan jdbc = plan.jdbc() == null ? null : JdbcPlan.prepare(plan)) {
      return run(options, jdbc == null ? plan : plan.withTable(plan.table().withSchema(jdbc.table.schema())), jdbc);
    }
  }

  /** Verifies {@code plan}'s snapshot source; {@code jdbc}, when given, is read as it was prepared. */
  static Outcome run(ReplicateOptions options, ReplicatePlan plan, JdbcPlan jdbc) {
    if (plan.changes().changes() != null) {
      throw new OptionsException("--verify compares a snapshot source with the target; with --changes there is"
          + " no one source state to compare with");
    }
    if (!plan.hasSnapshot()) {
      throw new OptionsException("verify needs a source to compare with: --jdbcUrl or --snapshot");
    }
    long start = System.currentTimeMillis();
    String runId = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC));
    int groups = jdbc != null && jdbc.estimatedRows > 0
        ? (int) Math.max(8, Math.min(1024, jdbc.estimatedRows / 50_000)) : 16;
    TargetTable table = plan.target();
    String staging = plan.staging().staging();
    String reportName = "verify-" + table.name().replaceAll("[^A-Za-z0-9_-]", "_") + "-" + runId + ".jsonl";

    // Step 1: the source, read as the run read it.
    PTransform<PBegin, ReadChanges.Result> source;
    if (jdbc != null) {
      source = jdbc.read(plan.jdbc(), table.name(), 0);
    } else {
      source = ReadChanges.from(plan.snapshot().files()).withFormat(plan.snapshot().format())
          .withTable(table.name()).withSchema(table.schema()).withSnapshotSequence(Sequence.of(0));
    }
    // Step 2: compared with the target, the differences reported.
    Pipeline p = Pipeline.create(options);
    p.apply("Verify " + table.name(), VerifyTable.of(source, plan.warehouse().spec(), table).inGroups(groups)
        .withReport(staging, reportName));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    RunSummary counters = RunSummary.of(result, 0);
    return new Outcome(table.name(), counters.get(CompareTables.SOURCE_ROWS), counters.get(CompareTables.TARGET_ROWS),
        counters.get(ReadChanges.REJECTED), counters.get(CompareTables.KEYS_REJECTED), groups,
        counters.get(CompareTables.GROUPS_DIFFERING),
        counters.get(CompareTables.KEYS_DIFFERING), staging + "/" + reportName, System.currentTimeMillis() - start);
  }
}
