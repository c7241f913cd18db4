package io.replicator.verify;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.source.JsonlFiles;
import io.replicator.source.ReadChanges;
import io.replicator.warehouse.ReadTargetRows;
import io.replicator.warehouse.WarehouseSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * The verify flow, whole: the rows of a snapshot source (a database table or snapshot files)
 * against the live rows of the target, by count and fingerprint per group of keys
 * ({@link CompareTables}); the keys of source rows that could not be read are counted apart; the
 * groups that differ go to one JSONL report, sorted.
 *
 * <pre>{@code
 * p.apply(VerifyTable.of(ReadChanges.from("export/*.jsonl").withFormat(InputFormat.SNAPSHOT_JSONL)
 *         .withTable("t").withSchema(schema).withSnapshotSequence(Sequence.of(0)), warehouse, target)
 *     .inGroups(16).withReport("local/staging", "verify-t.jsonl"));
 * }</pre>
 */
public final class VerifyTable extends PTransform<PBegin, PDone> {
  private final PTransform<PBegin, ReadChanges.Result> source;
  private final WarehouseSpec warehouse;
  private final TargetTable table;
  private final int groups;
  private final String reportDirectory;
  private final String reportName;

  private VerifyTable(PTransform<PBegin, ReadChanges.Result> source, WarehouseSpec warehouse, TargetTable table,
      int groups, String reportDirectory, String reportName) {
    this.source = source;
    this.warehouse = warehouse;
    this.table = table;
    this.groups = groups;
    this.reportDirectory = reportDirectory;
    this.reportName = reportName;
  }

  /** Compares what {@code source} reads with {@code table} in {@code warehouse}. */
  public static VerifyTable of(PTransform<PBegin, ReadChanges.Result> source, WarehouseSpec warehouse,
      TargetTable table) {
    return new VerifyTable(source, warehouse, table, 16, null, null);
  }

  /** Compares in {@code groups} groups of keys: more groups, smaller ones to search on a mismatch. */
  public VerifyTable inGroups(int groups) {
    CompareTables.inGroups(groups); // Checks the count.
    return new VerifyTable(source, warehouse, table, groups, reportDirectory, reportName);
  }

  /** Writes the differing groups to {@code directory/name}. */
  public VerifyTable withReport(String directory, String name) {
    return new VerifyTable(source, warehouse, table, groups, directory, name);
  }

  @Override
  public PDone expand(PBegin p) {
    if (reportDirectory == null) {
      throw new IllegalStateException("VerifyTable needs withReport()");
    }
    // Step 1: both sides read.
    ReadChanges.Result sourceRows = p.apply("Read source", source);
    PCollection<Change> targetRows = p.apply("Read target", ReadTargetRows.of(warehouse, table))
        .setCoder(ChangeCoder.of());
    // A source row that could not be read says nothing of its key's row in the target.
    String tableName = table.name();
    PCollection<Change> rejectedKeys = sourceRows.deadLetters()
        .apply("Keys of rejected rows", Filter.by(d -> d.key() != null))
        .apply("As keys", MapElements.into(TypeDescriptor.of(Change.class))
            .via(d -> new Change(tableName, ChangeOp.UPSERT, d.key(), Sequence.of(0), "")))
        .setCoder(ChangeCoder.of());
    // Step 2: compared per group of keys; step 3: one sorted report.
    PCollectionList.of(sourceRows.changes()).and(targetRows).and(rejectedKeys)
        .apply("Compare", CompareTables.inGroups(groups))
        .apply("One report", WithKeys.of(0)).setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply("Collect", GroupByKey.create())
        .apply("Write report", ParDo.of(new WriteReportFn(reportDirectory, reportName)));
    return PDone.in(p.getPipeline());
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
