package io.replicator.warehouse.bigquery;

import com.google.api.services.bigquery.model.JobConfiguration;
import com.google.api.services.bigquery.model.JobConfigurationLoad;
import com.google.api.services.bigquery.model.JobStatistics;
import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableFieldSchema;
import io.replicator.change.StagedBatch;
import io.replicator.change.StagedLine;
import io.replicator.change.Column;
import io.replicator.change.Json;
import io.replicator.change.ColumnType;
import io.replicator.merge.BigQueryDialect;
import io.replicator.merge.BigQueryScripts;
import io.replicator.merge.ContractStatements;
import io.replicator.change.DeleteMode;
import io.replicator.merge.MergeStatements;
import io.replicator.merge.PartitionBounds;
import io.replicator.merge.ReloadStatements;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Reload;
import io.replicator.warehouse.spi.ReloadRefusedException;
import io.replicator.warehouse.spi.ReloadResult;
import io.replicator.warehouse.spi.TableContract;
import io.replicator.warehouse.spi.Warehouse;
import io.replicator.warehouse.spi.WarehouseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
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
  public void ensureTables(TargetTable table, AddedColumns added) {
    settings.layout().check(table.schema());
    Table existing = client.getTable(table.name()).orElse(null);
    List<String> structuralKey = null;
    if (existing != null) {
      checkColumns(table, existing, added);
      structuralKey = keyFromStructure(table, existing);
    }
    if (settings.cdc()) {
      runQuery("creating " + table.name(), "ddl", scripts(table).createCdcTarget(settings.maxStalenessSeconds())
          + new ContractStatements(dialect).create() + ";\n", Map.of());
    } else {
      runQuery("creating the tables of " + table.name(), "ddl", scripts(table).createTables(1), Map.of());
    }
    TableContract contract = TableContract.of(table);
    if (existing == null) {
      if (settings.cdc()) {
        recordContract(table, contract);
      } else {
        runQuery("clearing the history of the new table " + table.name(), "ddl", scripts(table).forgetHistory(),
            BigQueryJobs.params("table_name", table.name(), "key_columns", contract.keyColumnsJson(),
                "delete_mode", contract.deleteMode().name()));
      }
    } else {
      List<String[]> rows = jobs.rows(runQuery("reading the record of " + table.name(), "query",
          new ContractStatements(dialect).select(), BigQueryJobs.params("table_name", table.name())).id());
      TableContract recorded = rows.isEmpty() ? null : TableContract.parse(rows.get(0)[0], rows.get(0)[1]);
      TableContract checked = TableContract.checked(recorded, structuralKey, table, settings.toString());
      if (recorded == null) {
        recordContract(table, checked);
      }
    }
    target(table, true);
  }

  private void recordContract(TargetTable table, TableContract contract) {
    ContractStatements sql = new ContractStatements(dialect);
    runQuery("recording the key of " + table.name(), "ddl", "BEGIN TRANSACTION;\n" + sql.delete() + ";\n"
        + sql.insert() + ";\nCOMMIT TRANSACTION;\n", BigQueryJobs.params("table_name", table.name(),
        "key_columns", contract.keyColumnsJson(), "delete_mode", contract.deleteMode().name()));
  }

  /**
   * The key a target was made with, as its structure tells: its primary key (CDC targets), its
   * tombstone table's columns (hard deletes), or its REQUIRED columns (soft deletes keep only keys
   * REQUIRED); null when it cannot tell.
   */
  private List<String> keyFromStructure(TargetTable table, Table existing) {
    if (existing.getTableConstraints() != null && existing.getTableConstraints().getPrimaryKey() != null) {
      return existing.getTableConstraints().getPrimaryKey().getColumns();
    }
    boolean soft = hasField(existing, "_is_deleted");
    Table from = soft ? existing : client.getTable(table.tombstoneName()).orElse(null);
    if (from == null || from.getSchema() == null || from.getSchema().getFields() == null) {
      return null;
    }
    List<String> key = new ArrayList<>();
    for (TableFieldSchema f : from.getSchema().getFields()) {
      if (!f.getName().startsWith("_") && (!soft || "REQUIRED".equals(f.getMode()))) {
        key.add(f.getName());
      }
    }
    return key.isEmpty() ? null : key;
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
  public List<Column> missingColumns(TargetTable table) {
    Table info = client.getTable(table.name()).orElse(null);
    if (info == null) {
      return List.of();
    }
    Set<String> actual = new HashSet<>();
    if (info.getSchema() != null && info.getSchema().getFields() != null) {
      info.getSchema().getFields().forEach(f -> actual.add(f.getName().toLowerCase(Locale.ROOT)));
    }
    return table.schema().columns().stream().filter(c -> !actual.contains(c.name().toLowerCase(Locale.ROOT))).toList();
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

  private void checkColumns(TargetTable table, Table existing, AddedColumns added) {
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
    if (existing.getSchema() != null && existing.getSchema().getFields() != null) {
      for (TableFieldSchema f : existing.getSchema().getFields()) {
        boolean nullable = f.getMode() == null || "NULLABLE".equals(f.getMode());
        if (!f.getName().startsWith("_") && table.schema().indexOf(f.getName()) == null
            && !(added == AddedColumns.ACCEPTED && nullable)) {
          problems.add("column '" + f.getName() + "' is in the table but not in the schema (every update would keep"
              + " its old value); add it to the schema");
        }
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
          scripts(table).merge(width, staging, bounds, batch.partialRows() > 0),
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
    List<String> withoutBase = jsonStrings(r[5]);
    return new MergeResult(table.name(), batch.batchId(), false, batch.rows(), inserted, updated, deleted,
        batch.rows() - effective, bytes, slotMillis, withoutBase);
  }

  /** Loads the staged file into the batch's own staging table, replacing whatever it held. */
  private void load(String what, TargetTable table, StagedBatch batch, String staging, String base) {
    createStaging(staging, stagingSchema(table));
    loadAll(what, List.of(batch.file()), staging, base + "_load", batch.rows());
  }

  private long stagedRows(String staging) {
    return client.getTable(staging).map(t -> t.getNumRows() == null ? 0L : t.getNumRows().longValue()).orElse(0L);
  }

  /**
   * The staging table's columns: the target's, {@code _op}, four sequence parts, a partial row's
   * {@code _unchanged} and {@code _step}, and {@code _batch_id}.
   */
  static com.google.api.services.bigquery.model.TableSchema stagingSchema(TargetTable table) {
    List<TableFieldSchema> fields = new ArrayList<>();
    for (Column c : table.schema().columns()) {
      fields.add(field(c.name(), BigQueryDialect.typeName(c.type()), false));
    }
    fields.add(field("_op", "STRING", true));
    for (int i = 0; i < 4; i++) {
      fields.add(field(StagedLine.sequenceColumn(i), "INT64", false));
    }
    fields.add(new TableFieldSchema().setName(StagedLine.UNCHANGED).setType("STRING").setMode("REPEATED"));
    fields.add(field(StagedLine.STEP, "INT64", false));
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
  public ReloadResult applyReload(TargetTable table, List<StagedBatch> batches, Reload reload) {
    String what = "applying the reload of " + table.name();
    Target target = target(table, false);
    Set<String> applied = new HashSet<>();
    if (!batches.isEmpty()) {
      StringJoiner ids = new StringJoiner(",");
      batches.forEach(b -> ids.add(b.batchId()));
      for (String[] row : jobs.rows(runQuery(what, "query", "SELECT batch_id FROM "
          + dialect.table(MergeStatements.BATCHES) + " WHERE table_name = @table_name AND batch_id IN UNNEST(SPLIT("
          + "@batch_ids, ','))", BigQueryJobs.params("table_name", table.name(), "batch_ids", ids.toString())).id())) {
        applied.add(row[0]);
      }
    }
    List<StagedBatch> todo = batches.stream().filter(b -> !applied.contains(b.batchId())).toList();
    long rows = todo.stream().mapToLong(StagedBatch::rows).sum();
    if (!batches.isEmpty() && todo.isEmpty()) {
      return new ReloadResult(MergeResult.skipped(table.name(), "reload",
          batches.stream().mapToLong(StagedBatch::rows).sum()), batches.size(), 0, 0);
    }
    int width = Math.max(target.sequenceWidth(), todo.stream().mapToInt(StagedBatch::sequenceWidth).max().orElse(1));
    if (width > target.sequenceWidth()) {
      runQuery("widening the sequence of " + table.name(), "ddl",
          scripts(table).widenSequence(target.sequenceWidth(), width), Map.of());
      target = target(table, true);
    }
    // Every setting of the apply is in its id: a re-run of the same reload finds the job an
    // earlier run submitted; a re-run with another bound, or other kept keys, is a new job.
    StringJoiner identity = new StringJoiner("\n");
    todo.forEach(b -> identity.add(b.batchId()));
    identity.add(reload.toString());
    String id = sha256(identity.toString()).substring(0, 16);
    String base = jobBase(table, target, "reload_" + id);
    String staging = table.stagingName() + "_reload_" + id;
    createStaging(staging, stagingSchema(table));
    loadAll(what, todo.stream().map(StagedBatch::file).toList(), staging, base + "_load", rows);
    String kept = null;
    if (reload.keptKeysFile() != null) {
      kept = table.stagingName() + "_kept_" + id;
      createStaging(kept, keySchema(table));
      loadAll(what, List.of(reload.keptKeysFile()), kept, base + "_kept", -1);
    }
    BigQueryJobs.Done done;
    synchronized (MERGE_LOCKS.computeIfAbsent(settings + "." + table.name(), k -> new Object())) {
      done = jobs.run(what, base + "_apply", "reload", BigQueryJobs.query(
          scripts(table).applyReload(width, staging, kept, reload.removesVanished(),
              todo.stream().anyMatch(b -> b.partialRows() > 0)),
          BigQueryJobs.params("table_name", table.name(), "sequence", reload.sequence(),
              "max_delete_percent", reload.maxDeletePercent())));
    }
    String[] r = jobs.singleRow(done.id());
    client.deleteTable(staging);
    if (kept != null) {
      client.deleteTable(kept);
    }
    long live = Long.parseLong(r[5]);
    long older = Long.parseLong(r[6]);
    if (Boolean.parseBoolean(r[0])) {
      throw ReloadRefusedException.of(table.name(), older, live, reload.maxDeletePercent());
    }
    JobStatistics stats = done.job().getStatistics();
    long bytes = stats == null || stats.getQuery() == null || stats.getQuery().getTotalBytesProcessed() == null
        ? 0 : stats.getQuery().getTotalBytesProcessed();
    long slotMillis = stats == null || stats.getTotalSlotMs() == null ? 0 : stats.getTotalSlotMs();
    long effective = Long.parseLong(r[4]);
    List<String> withoutBase = jsonStrings(r[8]);
    MergeResult merged = new MergeResult(table.name(), "reload", false, rows, Long.parseLong(r[1]),
        Long.parseLong(r[2]), Long.parseLong(r[3]), rows - effective, bytes, slotMillis, withoutBase);
    return new ReloadResult(merged, todo.size(), reload.removesVanished() ? older : 0, Long.parseLong(r[7]));
  }

  /** A script's JSON array of strings (TO_JSON_STRING of an ARRAY<STRING>), as a list; empty for none. */
  private static List<String> jsonStrings(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try {
      List<String> out = new ArrayList<>();
      new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).forEach(n -> out.add(n.asText()));
      return out;
    } catch (java.io.IOException e) {
      throw new WarehouseException("BigQuery returned a list that is not JSON: " + json, e);
    }
  }

  /** A table of the run's own, gone by itself after {@link #STAGING_EXPIRY} if the run dies. */
  private void createStaging(String name, com.google.api.services.bigquery.model.TableSchema schema) {
    client.createTable(new Table().setTableReference(client.ref(name)).setSchema(schema)
        .setExpirationTime(System.currentTimeMillis() + STAGING_EXPIRY.toMillis()));
  }

  /** BigQuery takes at most this many source files in one load job. */
  static final int FILES_PER_LOAD = 10_000;

  /**
   * Loads {@code files} into {@code table} (replacing what it held), in jobs of at most
   * {@value #FILES_PER_LOAD} files. When {@code expectedRows} is known (not -1) and jobs an earlier
   * run submitted left another count (the table expired or was dropped since), loads again under
   * new ids.
   */
  private void loadAll(String what, List<String> files, String table, String base, long expectedRows) {
    boolean earlier = false;
    for (int from = 0, part = 0; from < files.size(); from += FILES_PER_LOAD, part++) {
      earlier |= jobs.run(what, part == 0 ? base : base + "_part" + part, "load",
          loadJob(files.subList(from, Math.min(files.size(), from + FILES_PER_LOAD)), table, part == 0)).earlier();
    }
    if (earlier && expectedRows >= 0 && stagedRows(table) != expectedRows) {
      // An earlier run loaded these files and the table has gone since (it expired, or was
      // dropped): this is a new load, under new ids.
      String fresh = base.replaceFirst("_load$", "") + "_reload_" + UUID.randomUUID().toString().replace("-", "");
      for (int from = 0, part = 0; from < files.size(); from += FILES_PER_LOAD, part++) {
        jobs.run(what, fresh + (part == 0 ? "" : "_part" + part), "load",
            loadJob(files.subList(from, Math.min(files.size(), from + FILES_PER_LOAD)), table, part == 0));
      }
    }
  }

  private JobConfiguration loadJob(List<String> files, String table, boolean replace) {
    return new JobConfiguration().setLoad(new JobConfigurationLoad()
        .setSourceUris(files)
        .setSourceFormat("NEWLINE_DELIMITED_JSON")
        .setDestinationTable(client.ref(table))
        .setCreateDisposition("CREATE_NEVER")
        .setWriteDisposition(replace ? "WRITE_TRUNCATE" : "WRITE_APPEND")
        .setIgnoreUnknownValues(false)
        .setMaxBadRecords(0));
  }

  /** The kept keys' columns: the key columns, as staged. */
  static com.google.api.services.bigquery.model.TableSchema keySchema(TargetTable table) {
    List<TableFieldSchema> fields = new ArrayList<>();
    for (String k : table.schema().keyColumns()) {
      fields.add(field(k, BigQueryDialect.typeName(table.schema().column(table.schema().indexOf(k)).type()), false));
    }
    return new com.google.api.services.bigquery.model.TableSchema().setFields(fields);
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
  public void forEachKeyRecord(TargetTable table, KeyRecordVisitor visitor) {
    forEachKeyRecord(table, null, visitor);
  }

  @Override
  public void forEachKeyRecord(TargetTable table, Collection<String> firstKeyValues, KeyRecordVisitor visitor) {
    int width = target(table, false).sequenceWidth();
    int n = table.schema().columns().size();
    boolean byFirstKey = Warehouse.readsByFirstKey(table, firstKeyValues);
    Map<String, ?> params = byFirstKey ? Map.of("first_keys", jsonArray(firstKeyValues)) : Map.of();
    String id = runQuery("reading the keys of " + table.name(), "query", scripts(table).selectKeyRecords(width,
        byFirstKey), params).id();
    jobs.forEachRow(id, values -> {
      long[] sequence = new long[width];
      for (int i = 0; i < width; i++) {
        sequence[i] = values[n + i] == null ? 0 : Long.parseLong(values[n + i]);
      }
      visitor.visit(java.util.Arrays.copyOf(values, n), sequence, Boolean.parseBoolean(values[n + width]));
    });
  }

  private static String jsonArray(Collection<String> values) {
    StringJoiner array = new StringJoiner(",", "[", "]");
    values.forEach(v -> array.add(Json.quote(v)));
    return array.toString();
  }

  @Override
  public void close() {
    // The HTTP transport holds no connections that outlive a call.
  }
}
