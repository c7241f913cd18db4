package io.replicator.pipelines;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.common.ByteSize;
import io.replicator.common.Throughput;
import io.replicator.merge.TableLayout;
import io.replicator.source.InputFormat;
import io.replicator.source.jdbc.JdbcSource;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.bigquery.BigQuerySettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * The replicate options, checked and resolved before anything runs: every problem is an {@link
 * OptionsException} that names the option.
 */
final class ReplicatePlan {
  final String tableName;
  /** The target, once its schema is known: from --schema, or from the source database at launch. */
  TargetTable table;
  final DeleteMode deleteMode;
  final List<String> keys;
  final JdbcSource jdbc;
  final String jdbcTable;
  final String jdbcQuery;
  final Integer jdbcPartitions;
  /** Bytes per second across all workers, or 0 for no bound. */
  final double maxThroughput;
  final int jdbcFetchSize;
  final String changes;
  final InputFormat changeFormat;
  final String unavailableValue;
  final String snapshot;
  final InputFormat snapshotFormat;
  final boolean replace;
  final Long snapshotSequence;
  final double maxReloadDeletePercent;
  final String staging;
  final String deadLetter;
  final WarehouseSpec warehouse;
  /** Changes go to BigQuery as CDC writes, not staged and merged. */
  final boolean cdc;
  /** This process waits for the job, so it can hold an exported database snapshot open for it. */
  final boolean launcherWaits;
  final long batchMaxBytes;
  final long batchMaxRows;
  final boolean keepStaging;

  private ReplicatePlan(ReplicateOptions o) {
    StreamPlan.refuseStreamOptions(o);
    this.tableName = require(o.getTable(), "--table", "the target table name");
    this.deleteMode = deleteMode(o.getDeletes());
    this.jdbc = blankToNull(o.getJdbcUrl()) == null ? null : jdbcSource(o);
    this.jdbcTable = blankToNull(o.getJdbcTable());
    this.jdbcQuery = blankToNull(o.getJdbcQuery());
    this.jdbcPartitions = o.getJdbcPartitions();
    this.jdbcFetchSize = o.getJdbcFetchSize() == null ? 10_000 : o.getJdbcFetchSize();
    this.keys = blankToNull(o.getKeys()) == null ? null : parseKeys(o.getKeys());
    this.maxThroughput = blankToNull(o.getMaxThroughput()) == null ? 0
        : wrap(() -> Throughput.bytesPerSecond(o.getMaxThroughput()), "--maxThroughput");
    if (maxThroughput > 0 && jdbc == null) {
      throw new OptionsException("--maxThroughput bounds reading a source database; give --jdbcUrl, or leave it out");
    }
    String schemaFile = blankToNull(o.getSchema());
    if (jdbc == null) {
      require(o.getKeys(), "--keys", "the key columns, e.g. --keys=id");
      require(schemaFile, "--schema", "a BigQuery JSON schema file");
    }
    if (schemaFile != null) {
      require(o.getKeys(), "--keys", "the key columns of the --schema, e.g. --keys=id");
      TableSchema schema = readSchema(schemaFile, keys);
      this.table = wrap(() -> new TargetTable(tableName, schema, deleteMode), "--table");
    } else {
      wrap(() -> {
        TargetTable.checkName(tableName);
        return tableName;
      }, "--table");
    }

    this.changes = blankToNull(o.getChanges());
    this.snapshot = blankToNull(o.getSnapshot());
    if (jdbc != null) {
      if (snapshot != null) {
        throw new OptionsException("--snapshot and --jdbcUrl both give a snapshot; use one");
      }
      if ((jdbcTable == null) == (jdbcQuery == null)) {
        throw new OptionsException("--jdbcUrl needs one of --jdbcTable (a table) or --jdbcQuery (a query)");
      }
      if (jdbcPartitions != null && (jdbcPartitions < 1 || jdbcPartitions > 10_000)) {
        throw new OptionsException("--jdbcPartitions must be between 1 and 10000, got " + jdbcPartitions);
      }
      if (jdbcFetchSize < 1) {
        throw new OptionsException("--jdbcFetchSize must be at least 1, got " + jdbcFetchSize);
      }
    } else if (jdbcTable != null || jdbcQuery != null) {
      throw new OptionsException((jdbcTable != null ? "--jdbcTable" : "--jdbcQuery") + " needs --jdbcUrl");
    }
    if (changes == null && snapshot == null && jdbc == null) {
      throw new OptionsException("nothing to read: give --changes (change events), --snapshot (snapshot rows)"
          + " or --jdbcUrl (a source database)");
    }
    this.changeFormat = switch (lower(o.getChangeFormat())) {
      case "native", "" -> InputFormat.NATIVE;
      case "debezium" -> InputFormat.DEBEZIUM;
      default -> throw new OptionsException("--changeFormat='" + o.getChangeFormat() + "': expected native or debezium");
    };
    this.unavailableValue = require(o.getUnavailableValue(), "--unavailableValue", "the connector's placeholder");
    this.snapshotFormat = switch (lower(o.getSnapshotFormat())) {
      case "jsonl", "json" -> InputFormat.SNAPSHOT_JSONL;
      case "csv" -> InputFormat.SNAPSHOT_CSV;
      default -> throw new OptionsException("--snapshotFormat='" + o.getSnapshotFormat() + "': expected jsonl or csv");
    };
    this.replace = switch (lower(o.getSnapshotMode())) {
      case "merge" -> false;
      case "replace" -> true;
      default -> throw new OptionsException("--snapshotMode='" + o.getSnapshotMode() + "': expected merge or replace");
    };
    if (replace && snapshot == null && jdbc == null) {
      throw new OptionsException("--snapshotMode=replace reloads the table from --snapshot or --jdbcUrl; neither is given");
    }
    this.snapshotSequence = o.getSnapshotSequence();
    if (snapshotSequence != null && snapshotSequence < 0) {
      throw new OptionsException("--snapshotSequence must not be negative, got " + snapshotSequence);
    }
    Double pct = o.getMaxReloadDeletePercent();
    if (pct == null || pct < 0 || pct > 100) {
      throw new OptionsException("--maxReloadDeletePercent must be between 0 and 100, got " + pct);
    }
    this.maxReloadDeletePercent = pct;

    this.staging = trimSlash(require(o.getStaging(), "--staging", "a directory for staged batches"));
    this.deadLetter = o.getDeadLetter() == null || o.getDeadLetter().isBlank()
        ? staging + "/dead-letters" : trimSlash(o.getDeadLetter());
    this.cdc = cdcWrites(o);
    this.warehouse = warehouseSpec(o, table, cdc);
    this.launcherWaits = Launch.waits(o);
    checkWarehouseReach(o, warehouse, staging);
    this.batchMaxBytes = batchMaxBytes(o);
    this.batchMaxRows = batchMaxRows(o);
    this.keepStaging = Boolean.TRUE.equals(o.getKeepStaging());

    if (changes != null) {
      requireMatches(changes, "--changes");
    }
    if (snapshot != null) {
      requireMatches(snapshot, "--snapshot");
    }
  }

  /** Refuses a warehouse the workers cannot reach, and staging the warehouse cannot load from. */
  static void checkWarehouseReach(ReplicateOptions o, WarehouseSpec warehouse, String staging) {
    if (Launch.onDataflow(o) && warehouse.kind().equals("duckdb")) {
      throw new OptionsException("--warehouse=" + warehouse + " is a file on this machine, which Dataflow workers"
          + " cannot reach; on Dataflow use --warehouse=bigquery:PROJECT.DATASET");
    }
    String stagingProblem = warehouse.stagingProblem(staging);
    if (stagingProblem != null) {
      throw new OptionsException("--staging=" + staging + ": " + stagingProblem);
    }
  }

  static long batchMaxBytes(ReplicateOptions o) {
    long bytes = wrap(() -> ByteSize.parse(o.getBatchMaxBytes()), "--batchMaxBytes");
    if (bytes < 1024) {
      throw new OptionsException("--batchMaxBytes must be at least 1KB, got " + o.getBatchMaxBytes());
    }
    return bytes;
  }

  static long batchMaxRows(ReplicateOptions o) {
    Long rows = o.getBatchMaxRows();
    if (rows == null || rows < 1) {
      throw new OptionsException("--batchMaxRows must be at least 1, got " + rows);
    }
    return rows;
  }

  /** Whether {@code --bigQueryWriteMethod=cdc}, checked against the options it cannot go with. */
  private boolean cdcWrites(ReplicateOptions o) {
    String method = o.getBigQueryWriteMethod() == null ? "merge" : o.getBigQueryWriteMethod().trim();
    if (method.equals("merge")) {
      return false;
    }
    if (!method.equals("cdc")) {
      throw new OptionsException("--bigQueryWriteMethod='" + method + "': expected merge or cdc");
    }
    if (o.getWarehouse() == null || !o.getWarehouse().startsWith("bigquery:")) {
      throw new OptionsException("--bigQueryWriteMethod=cdc applies to --warehouse=bigquery:PROJECT.DATASET only");
    }
    if (deleteMode == DeleteMode.SOFT) {
      throw new OptionsException("--bigQueryWriteMethod=cdc deletes rows; --deletes=soft needs the merge method");
    }
    if (replace) {
      throw new OptionsException("--snapshotMode=replace is not supported with --bigQueryWriteMethod=cdc;"
          + " reload with the merge method");
    }
    if (Boolean.TRUE.equals(o.getVerify())) {
      throw new OptionsException("--verify cannot follow a cdc run: BigQuery applies CDC writes in the"
          + " background (within --maxStaleness), so run 'verify' once they are applied");
    }
    return true;
  }

  /** The warehouse, with the BigQuery options applied (and refused for any other warehouse). */
  static WarehouseSpec warehouseSpec(ReplicateOptions o, TargetTable table, boolean cdc) {
    WarehouseSpec spec = wrap(() -> WarehouseSpec.parse(o.getWarehouse()), "--warehouse");
    if (!spec.kind().equals("bigquery")) {
      String[][] bigQueryOnly = {
        {"--bigQueryJobLabels", o.getBigQueryJobLabels()},
        {"--bigQueryEndpoint", o.getBigQueryEndpoint()}, {"--partitionField", o.getPartitionField()},
        {"--partitionRange", o.getPartitionRange()}, {"--clusterFields", o.getClusterFields()}};
      for (String[] option : bigQueryOnly) {
        if (blankToNull(option[1]) != null) {
          throw new OptionsException(option[0] + " applies to --warehouse=bigquery:PROJECT.DATASET only");
        }
      }
      return spec;
    }
    TableLayout layout = wrap(() -> new TableLayout(
        blankToNull(o.getPartitionField()),
        blankToNull(o.getPartitionRange()) == null ? null : TableLayout.IntegerRange.parse(o.getPartitionRange()),
        blankToNull(o.getClusterFields()) == null ? List.of() : splitList(o.getClusterFields()),
        Boolean.TRUE.equals(o.getPartitionFieldImmutable())), "--partitionField");
    if (table != null) {
      wrap(() -> {
        layout.check(table.schema());
        return null;
      }, "--partitionField");
    }
    long staleness = wrap(() -> BigQuerySettings.parseStaleness(o.getMaxStaleness()), "--maxStaleness");
    return spec.withBigQuery(s -> (cdc ? s.withCdc(staleness) : s)
        .withJobLabels(wrap(() -> BigQuerySettings.parseLabels(o.getBigQueryJobLabels()), "--bigQueryJobLabels"))
        .withEndpoint(o.getBigQueryEndpoint())
        .withLayout(layout));
  }

  static List<String> splitList(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  static ReplicatePlan from(ReplicateOptions options) {
    return new ReplicatePlan(options);
  }

  /** Whether the run loads a snapshot (files or a database). */
  boolean hasSnapshot() {
    return snapshot != null || jdbc != null;
  }

  static JdbcSource jdbcSource(ReplicateOptions o) {
    JdbcSource source = wrap(() -> JdbcSource.of(o.getJdbcUrl().trim(), blankToNull(o.getJdbcUser())), "--jdbcUrl");
    if (blankToNull(o.getJdbcPasswordEnv()) != null && blankToNull(o.getJdbcPasswordFile()) != null) {
      throw new OptionsException("give the password one way: --jdbcPasswordEnv or --jdbcPasswordFile");
    }
    if (blankToNull(o.getJdbcPasswordEnv()) != null) {
      return source.withPasswordEnv(o.getJdbcPasswordEnv().trim());
    }
    if (blankToNull(o.getJdbcPasswordFile()) != null) {
      return source.withPasswordFile(o.getJdbcPasswordFile().trim());
    }
    return source;
  }

  /** How many batches file input is cut into, from the files' sizes ({@link io.replicator.batch.BatchPlan#forInputBytes}). */
  int batchCountFromInputSize() {
    long bytes = 0;
    for (String pattern : new String[] {snapshot, changes}) {
      if (pattern == null) {
        continue;
      }
      try {
        for (MatchResult.Metadata m : FileSystems.match(pattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD).metadata()) {
          bytes += m.sizeBytes();
        }
      } catch (IOException e) {
        throw new OptionsException(pattern + ": cannot list the files (" + firstLine(e) + ")");
      }
    }
    return io.replicator.batch.BatchPlan.forInputBytes(bytes, batchMaxBytes, batchMaxRows);
  }

  /** Identifies a snapshot input (its files and their sizes), so a re-run can resume its reload. */
  String snapshotFingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((table.name() + "\n" + replace + "\n").getBytes(StandardCharsets.UTF_8));
      List<String> files = new ArrayList<>();
      for (MatchResult.Metadata m : FileSystems.match(snapshot, EmptyMatchTreatment.DISALLOW).metadata()) {
        files.add(m.resourceId() + "\t" + m.sizeBytes());
      }
      files.sort(null);
      for (String f : files) {
        sha.update((f + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (IOException e) {
      throw new OptionsException("--snapshot=" + snapshot + ": cannot list the files: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static DeleteMode deleteMode(String value) {
    return switch (lower(value)) {
      case "hard" -> DeleteMode.HARD;
      case "soft" -> DeleteMode.SOFT;
      default -> throw new OptionsException("--deletes='" + value + "': expected hard or soft");
    };
  }

  static List<String> parseKeys(String keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys.split(",")) {
      if (k.isBlank()) {
        throw new OptionsException("--keys='" + keys + "' has an empty column name");
      }
      out.add(k.trim());
    }
    return out;
  }

  static TableSchema readSchema(String path, List<String> keys) {
    String json;
    try (InputStream in = Channels.newInputStream(
        FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new OptionsException("--schema=" + path + ": cannot read the file (" + firstLine(e) + ")");
    }
    try {
      return TableSchema.fromBigQueryJson(json, keys);
    } catch (IllegalArgumentException e) {
      throw new OptionsException("--schema=" + path + " with --keys=" + String.join(",", keys) + ": " + e.getMessage());
    }
  }

  static void requireMatches(String pattern, String option) {
    try {
      MatchResult r = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW_IF_WILDCARD);
      if (r.status() != MatchResult.Status.OK || r.metadata().isEmpty()) {
        throw new OptionsException(option + "=" + pattern + " matches no file");
      }
    } catch (IOException e) {
      throw new OptionsException(option + "=" + pattern + " matches no file (" + firstLine(e) + ")");
    }
  }

  static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    return e.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse("");
  }

  static <T> T wrap(java.util.function.Supplier<T> s, String option) {
    try {
      return s.get();
    } catch (OptionsException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw new OptionsException(m.startsWith("--") ? m : option + ": " + m);
    }
  }

  static String require(String value, String option, String what) {
    if (value == null || value.isBlank()) {
      throw new OptionsException(option + " is required: " + what);
    }
    return value.trim();
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  static String lower(String s) {
    return s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
  }

  static String trimSlash(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }

}
