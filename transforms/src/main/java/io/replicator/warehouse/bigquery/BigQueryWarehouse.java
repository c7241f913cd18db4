package io.replicator.warehouse.bigquery;

import com.google.api.services.bigquery.model.JobConfiguration;
import com.google.api.services.bigquery.model.JobConfigurationLoad;
import com.google.api.services.bigquery.model.JobStatistics;
import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableFieldSchema;
import io.replicator.batch.StagedBatch;
import io.replicator.batch.StagedLine;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.merge.BigQueryDialect;
import io.replicator.merge.BigQueryScripts;
import io.replicator.merge.DeleteMode;
import io.replicator.merge.MergeStatements;
import io.replicator.merge.PartitionBounds;
import io.replicator.merge.ReloadStatements;
import io.replicator.merge.TargetTable;
import io.replicator.warehouse.MergeResult;
import io.replicator.warehouse.ReloadRefusedException;
import io.replicator.warehouse.Warehouse;
import io.replicator.warehouse.WarehouseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A BigQuery dataset as the target. Each batch is one load job of its staged file into a table of
 * its own ({@code _staging_<table>_<batch>}), one script that merges it in a multi-statement
 * transaction together with the record that it was applied, and the removal of that table.
 *
 * <p>The load and merge jobs have ids derived from the target (and its creation time) and the
 * batch, so a batch retried or re-run finds the jobs an earlier try submitted instead of submitting
 * new ones; the merge script itself skips a batch already recorded.
 */
public final class BigQueryWarehouse implements Warehouse {
  /**
   * Merges into one table from one JVM wait for each other: BigQuery would abort all but one of
   * concurrent transactions on a table anyway, and each abort costs a retry with backoff.
   */
  private static final ConcurrentHashMap<String, Object> MERGE_LOCKS = new ConcurrentHashMap<>();

  /** Staging tables left by a run that died expire on their own after this long. */
  static final Duration STAGING_EXPIRY = Duration.ofDays(7);

  private final BigQuerySettings settings;
  private final BigQueryDialect dialect;
  private final BigQueryClient client;
  private final BigQueryJobs jobs;
  /** Per target: its creation time (part of job ids) and its sequence width. */
  private final Map<String, Target> targets = new HashMap<>();

  private record Target(long createdMillis, int sequenceWidth) {}

  BigQueryWarehouse(BigQuerySettings settings, BigQueryClient client) {
    this.settings = settings;
    this.dialect = new BigQueryDialect(settings.project(), settings.dataset());
    this.client = client;
    this.jobs = new BigQueryJobs(client);
  }

  /** Opens the dataset; jobs run in its location, read from BigQuery unless the settings name one. */
  public static BigQueryWarehouse open(BigQuerySettings settings) {
    BigQueryClient client = BigQueryClient.open(settings);
    if (settings.location() == null) {
      client = client.withLocation(client.datasetLocation());
    }
    return new BigQueryWarehouse(client.settings(), client);
  }

  private BigQueryScripts scripts(TargetTable table) {
    return new BigQueryScripts(dialect, table, settings.layout());
  }

  @Override
  public void ensureTables(TargetTable table) {
    settings.layout().check(table.schema());
    Table existing = client.getTable(table.name()).orElse(null);
    if (existing != null) {
      checkColumns(table, existing);
    }
    if (settings.cdc()) {
      runQuery("creating " + table.name(), "ddl", scripts(table).createCdcTarget(settings.maxStalenessSeconds()),
          Map.of());
      target(table, true);
      return;
    }
    runQuery("creating the tables of " + table.name(), "ddl", scripts(table).createTables(1), Map.of());
    if (existing == null) {
      runQuery("clearing the history of the new table " + table.name(), "ddl", scripts(table).forgetHistory(),
          BigQueryJobs.params("table_name", table.name()));
    }
    target(table, true);
  }

  @Override
  public TargetTable addColumns(TargetTable table, List<Column> columns) {
    StringJoiner add = new StringJoiner(", ");
    for (Column c : columns) {
      add.add("ADD COLUMN IF NOT EXISTS " + dialect.quote(c.name()) + " "
          + BigQueryDialect.typeName(c.type()));
    }
    // Each batch's staging table is created from the table as it is then, so only the target changes.
    runQuery("adding columns to " + table.name(), "ddl", "ALTER TABLE " + dialect.table(table.name())
        + " " + add, Map.of());
    return current(table);
  }

  @Override
  public TargetTable current(TargetTable table) {
    Table info = client.getTable(table.name()).orElseThrow(() -> new WarehouseException(
        "table " + table.name() + " is missing from " + settings + "; it was dropped while the pipeline ran"));
    List<Column> added = new ArrayList<>();
    if (info.getSchema() != null && info.getSchema().getFields() != null) {
      for (TableFieldSchema f : info.getSchema().getFields()) {
        if (!f.getName().startsWith("_") && table.schema().indexOf(f.getName()) == null) {
          added.add(new Column(f.getName(), ColumnType.parse(f.getType()), false));
        }
      }
    }
    return added.isEmpty() ? table : table.withColumns(added);
  }

  /** The target's creation time and sequence width, read once (again when {@code refresh}). */
  private Target target(TargetTable table, boolean refresh) {
    Target t = targets.get(table.name());
    if (t == null || refresh) {
      Table info = client.getTable(table.name()).orElseThrow(() -> new WarehouseException(
          "table " + table.name() + " is missing from " + settings + "; it was dropped while the pipeline ran"));
      int width = 1;
      while (width < 4 && hasField(info, StagedLine.sequenceColumn(width))) {
        width++;
      }
      t = new Target(info.getCreationTime() == null ? 0 : info.getCreationTime(), width);
      targets.put(table.name(), t);
    }
    return t;
  }

  private static boolean hasField(Table table, String name) {
    return fields(table).containsKey(name.toLowerCase(Locale.ROOT));
  }

  /** Lower-case column name to its type, as BigQuery reports it. */
  private static Map<String, String> fields(Table table) {
    Map<String, String> out = new HashMap<>();
    if (table.getSchema() != null && table.getSchema().getFields() != null) {
      for (TableFieldSchema f : table.getSchema().getFields()) {
        out.put(f.getName().toLowerCase(Locale.ROOT), f.getType());
      }
    }
    return out;
  }

  private void checkColumns(TargetTable table, Table existing) {
    Map<String, String> actual = fields(existing);
    StringJoiner problems = new StringJoiner("; ");
    for (Column c : table.schema().columns()) {
      String type = actual.get(c.name().toLowerCase(Locale.ROOT));
      if (type == null) {
        problems.add("column '" + c.name() + "' is missing");
      } else if (!sameType(type, c.type())) {
        problems.add("column '" + c.name() + "' is " + type + ", the schema says " + c.type());
      }
    }
    boolean soft = actual.containsKey("_is_deleted");
    if (soft != (table.deleteMode() == DeleteMode.SOFT)) {
      problems.add(soft ? "it was created with --deletes=soft" : "it was created with --deletes=hard");
    }
    if (!actual.containsKey(StagedLine.sequenceColumn(0))) {
      problems.add("it has no _sequence_num column, so it was not created by the pipeline");
    }
    if (settings.cdc()) {
      List<String> primaryKey = existing.getTableConstraints() == null
          || existing.getTableConstraints().getPrimaryKey() == null
          ? List.of() : existing.getTableConstraints().getPrimaryKey().getColumns();
      if (!primaryKey.equals(table.schema().keyColumns())) {
        problems.add("CDC writes apply by the primary key, and its primary key is " + (primaryKey.isEmpty()
            ? "missing" : primaryKey) + " (add it with ALTER TABLE ... ADD PRIMARY KEY ("
            + String.join(", ", table.schema().keyColumns()) + ") NOT ENFORCED)");
      }
    }
    if (problems.length() > 0) {
      throw new WarehouseException("table " + table.name() + " in " + settings + " does not match the schema: " + problems);
    }
  }

  /** Whether a type as BigQuery reports it (legacy or standard name) is {@code expected}. */
  private static boolean sameType(String actual, ColumnType expected) {
    try {
      return ColumnType.parse(actual) == expected;
    } catch (IllegalArgumentException e) {
      return false; // RECORD, GEOGRAPHY, RANGE, ...: nothing the schema can say
    }
  }

  @Override
  public long maxSequenceNum(TargetTable table) {
    String sql = settings.cdc()
        ? "SELECT MAX(" + dialect.quote(StagedLine.sequenceColumn(0)) + ") FROM " + dialect.table(table.name())
        : new ReloadStatements(dialect, table, 1).maxSequence();
    String[] row = jobs.singleRow(runQuery("reading the highest sequence of " + table.name(), "query", sql,
        Map.of()).id());
    return row[0] == null ? 0 : Long.parseLong(row[0]);
  }

  @Override
  public MergeResult merge(TargetTable table, StagedBatch batch) {
    String what = "merging batch " + batch.batchId() + " into " + table.name();
    Target target = target(table, false);
    String[] applied = jobs.singleRow(runQuery(what, "query",
        new MergeStatements(dialect, table, 1).selectApplied(),
        BigQueryJobs.params("table_name", table.name(), "batch_id", batch.batchId())).id());
    if (Long.parseLong(applied[0]) > 0) {
      return MergeResult.skipped(table.name(), batch.batchId(), batch.rows());
    }
    int width = Math.max(batch.sequenceWidth(), target.sequenceWidth());
    if (width > target.sequenceWidth()) {
      runQuery("widening the sequence of " + table.name(), "ddl",
          scripts(table).widenSequence(target.sequenceWidth(), width), Map.of());
      target = target(table, true);
    }
    String staging = table.stagingName() + "_" + batch.batchId();
    String base = jobBase(table, target, batch.batchId());
    load(what, table, batch, staging, base);

    PartitionBounds bounds = bounds(table, staging, what);
    BigQueryJobs.Done merged;
    synchronized (MERGE_LOCKS.computeIfAbsent(settings + "." + table.name(), k -> new Object())) {
      merged = jobs.run(what, base + "_merge", "merge", BigQueryJobs.query(
          scripts(table).merge(width, staging, bounds),
          BigQueryJobs.params("table_name", table.name(), "batch_id", batch.batchId(), "rows_staged", batch.rows())));
    }
    String[] r = jobs.singleRow(merged.id());
    client.deleteTable(staging);
    JobStatistics stats = merged.job().getStatistics();
    long bytes = stats == null || stats.getQuery() == null || stats.getQuery().getTotalBytesProcessed() == null
        ? 0 : stats.getQuery().getTotalBytesProcessed();
    long slotMillis = stats == null || stats.getTotalSlotMs() == null ? 0 : stats.getTotalSlotMs();
    if (Boolean.parseBoolean(r[0])) {
      return MergeResult.skipped(table.name(), batch.batchId(), batch.rows());
    }
    long inserted = Long.parseLong(r[1]);
    long updated = Long.parseLong(r[2]);
    long deleted = Long.parseLong(r[3]);
    long effective = Long.parseLong(r[4]);
    return new MergeResult(table.name(), batch.batchId(), false, batch.rows(), inserted, updated, deleted,
        batch.rows() - effective, bytes, slotMillis);
  }

  /** Loads the staged file into the batch's own staging table, replacing whatever it held. */
  private void load(String what, TargetTable table, StagedBatch batch, String staging, String base) {
    client.createTable(new Table().setTableReference(client.ref(staging)).setSchema(stagingSchema(table))
        .setExpirationTime(System.currentTimeMillis() + STAGING_EXPIRY.toMillis()));
    JobConfigurationLoad load = new JobConfigurationLoad()
        .setSourceUris(List.of(batch.file()))
        .setSourceFormat("NEWLINE_DELIMITED_JSON")
        .setDestinationTable(client.ref(staging))
        .setCreateDisposition("CREATE_NEVER")
        .setWriteDisposition("WRITE_TRUNCATE")
        .setIgnoreUnknownValues(false)
        .setMaxBadRecords(0);
    BigQueryJobs.Done done = jobs.run(what, base + "_load", "load", new JobConfiguration().setLoad(load));
    if (done.earlier() && stagedRows(staging) != batch.rows()) {
      // An earlier run loaded the batch and its staging table has gone since (it expired, or was
      // dropped): this is a new load, under a new id.
      jobs.run(what, base + "_reload_" + UUID.randomUUID().toString().replace("-", ""), "load",
          new JobConfiguration().setLoad(load));
    }
  }

  private long stagedRows(String staging) {
    return client.getTable(staging).map(t -> t.getNumRows() == null ? 0L : t.getNumRows().longValue()).orElse(0L);
  }

  /** The staging table's columns: the target's, {@code _op}, four sequence parts and {@code _batch_id}. */
  static com.google.api.services.bigquery.model.TableSchema stagingSchema(TargetTable table) {
    List<TableFieldSchema> fields = new ArrayList<>();
    for (Column c : table.schema().columns()) {
      fields.add(field(c.name(), BigQueryDialect.typeName(c.type()), false));
    }
    fields.add(field("_op", "STRING", true));
    for (int i = 0; i < 4; i++) {
      fields.add(field(StagedLine.sequenceColumn(i), "INT64", false));
    }
    fields.add(field("_batch_id", "STRING", true));
    return new com.google.api.services.bigquery.model.TableSchema().setFields(fields);
  }

  /** One column of a schema given to BigQuery. */
  static TableFieldSchema field(String name, String type, boolean required) {
    return new TableFieldSchema().setName(name).setType(type).setMode(required ? "REQUIRED" : "NULLABLE");
  }

  /** The batch's partition bounds when the MERGE may be restricted to them, else null. */
  private PartitionBounds bounds(TargetTable table, String staging, String what) {
    if (!settings.layout().prunesMerge(table.schema())) {
      return null;
    }
    String[] r = jobs.singleRow(runQuery(what, "query", scripts(table).batchBounds(staging), Map.of()).id());
    if (r[0] == null || Long.parseLong(r[2]) > 0) {
      return null; // Rows without a partition value (deletes carrying only the key): read it all.
    }
    return new PartitionBounds(settings.layout().partitionField(), settings.layout().partitionType(table.schema()),
        r[0], r[1]);
  }

  /**
   * The id prefix of a batch's jobs: the target's name (what job ids allow of it), a digest of the
   * dataset, name and creation time — a table dropped and created again gets new ids — and the batch.
   */
  private String jobBase(TargetTable table, Target target, String batchId) {
    String readable = table.name().replaceAll("[^A-Za-z0-9_-]", "_");
    if (readable.length() > 40) {
      readable = readable.substring(0, 40);
    }
    String digest = sha256(settings.project() + "." + settings.dataset() + "." + table.name() + "@"
        + target.createdMillis()).substring(0, 12);
    return "replicator_" + readable + "_" + digest + "_" + batchId;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a query or script that is safe to run again, under a fresh id. */
  private BigQueryJobs.Done runQuery(String what, String kind, String sql, Map<String, ?> params) {
    return jobs.run(what, "replicator_" + kind + "_" + UUID.randomUUID().toString().replace("-", ""), kind,
        BigQueryJobs.query(sql, params));
  }

  @Override
  public long finishReload(TargetTable table, long sequence, double maxDeletePercent) {
    int width = target(table, false).sequenceWidth();
    String[] r = jobs.singleRow(runQuery("finishing the reload of " + table.name(), "reload",
        scripts(table).finishReload(width),
        BigQueryJobs.params("sequence", sequence, "max_delete_percent", maxDeletePercent, "table_name", table.name()))
        .id());
    long live = Long.parseLong(r[0]);
    long older = Long.parseLong(r[1]);
    if (Boolean.parseBoolean(r[2])) {
      throw ReloadRefusedException.of(table.name(), older, live, maxDeletePercent);
    }
    return older;
  }

  @Override
  public OptionalLong pendingReload(TargetTable table, String fingerprint) {
    List<String[]> rows = jobs.rows(runQuery("reading the reloads of " + table.name(), "query",
        new ReloadStatements(dialect, table, 1).selectPending(),
        BigQueryJobs.params("table_name", table.name(), "fingerprint", fingerprint)).id());
    return rows.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(rows.get(0)[0]));
  }

  @Override
  public void startReload(TargetTable table, String fingerprint, long sequence) {
    runQuery("recording the reload of " + table.name(), "reload", scripts(table).startReload(),
        BigQueryJobs.params("table_name", table.name(), "fingerprint", fingerprint, "sequence", sequence));
  }

  @Override
  public void endReload(TargetTable table) {
    runQuery("recording the end of the reload of " + table.name(), "reload",
        new ReloadStatements(dialect, table, 1).deletePending(), BigQueryJobs.params("table_name", table.name()));
  }

  @Override
  public void forEachRow(TargetTable table, RowVisitor visitor) {
    String id = runQuery("reading the rows of " + table.name(), "query", scripts(table).selectRows(), Map.of()).id();
    jobs.forEachRow(id, visitor::visit);
  }

  @Override
  public void close() {
    // The HTTP transport holds no connections that outlive a call.
  }
}
