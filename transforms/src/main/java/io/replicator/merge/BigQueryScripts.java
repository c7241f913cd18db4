package io.replicator.merge;

import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.StagedLine;
import io.replicator.change.TargetTable;
import java.util.List;
import java.util.StringJoiner;

/**
 * The BigQuery scripts of a target, built from the same statements the DuckDB target executes:
 * table creation with partitioning and clustering, the merge of one batch as a multi-statement
 * transaction, and the end of a reload. Pure text, tested as golden files.
 *
 * <p>Parameters are named ({@code @batch_id}); values never enter the SQL as text. Each script ends
 * with one {@code SELECT} whose row is the script's result.
 */
public final class BigQueryScripts {
  private final BigQueryDialect d;
  private final TargetTable table;
  private final TableLayout layout;

  public BigQueryScripts(BigQueryDialect dialect, TargetTable table, TableLayout layout) {
    this.d = dialect;
    this.table = table;
    this.layout = layout;
  }

  private boolean hard() {
    return table.deleteMode() == DeleteMode.HARD;
  }

  private String seq(int i) {
    return d.quote(StagedLine.sequenceColumn(i));
  }

  private String quotedList(Iterable<String> names) {
    StringJoiner j = new StringJoiner(", ");
    for (String n : names) {
      j.add(d.quote(n));
    }
    return j.toString();
  }

  /** The partition clause of a new target, with its leading newline, or nothing. */
  private String partitionBy() {
    ColumnType partitionType = layout.partitionType(table.schema());
    if (partitionType == null) {
      return "";
    }
    String col = d.quote(layout.partitionField());
    return "\nPARTITION BY " + switch (partitionType) {
      case DATE -> col;
      case DATETIME -> "DATETIME_TRUNC(" + col + ", DAY)";
      case TIMESTAMP -> "TIMESTAMP_TRUNC(" + col + ", DAY)";
      case INT64 -> "RANGE_BUCKET(" + col + ", GENERATE_ARRAY(" + layout.range().start() + ", "
          + layout.range().end() + ", " + layout.range().interval() + "))";
      default -> throw new IllegalStateException("not a partition type: " + partitionType);
    };
  }

  /** The clustering clause of a new target, with its leading newline, or nothing. */
  private String clusterBy() {
    List<String> clustering = layout.clustering(table.schema());
    return clustering.isEmpty() ? "" : "\nCLUSTER BY " + quotedList(clustering);
  }

  /**
   * The target of BigQuery CDC writes: the schema's columns, all four sequence parts (the first
   * required), the key as a {@code PRIMARY KEY ... NOT ENFORCED} (what CDC upserts and deletes
   * apply by) and {@code max_staleness}, which lets BigQuery apply changes in the background.
   * Deletes are hard: a deleted key's row goes.
   */
  public String createCdcTarget(long maxStalenessSeconds) {
    if (!hard()) {
      throw new IllegalStateException("CDC writes delete rows; soft deletes need the merge method");
    }
    StringJoiner cols = new StringJoiner(",\n  ");
    for (Column c : table.schema().columns()) {
      boolean key = table.schema().keyColumns().contains(c.name());
      cols.add(d.quote(c.name()) + " " + d.targetType(c.type()) + (key || c.required() ? " NOT NULL" : ""));
    }
    for (int i = 0; i < 4; i++) {
      cols.add(seq(i) + " INT64" + (i == 0 ? " NOT NULL" : ""));
    }
    cols.add("PRIMARY KEY (" + quotedList(table.schema().keyColumns()) + ") NOT ENFORCED");
    long s = maxStalenessSeconds;
    String staleness = String.format(java.util.Locale.ROOT, "INTERVAL '0-0 %d %d:%d:%d' YEAR TO SECOND",
        s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
    return "CREATE TABLE IF NOT EXISTS " + d.table(table.name()) + " (\n  " + cols + "\n)" + partitionBy()
        + clusterBy() + "\nOPTIONS (max_staleness = " + staleness + ");\n";
  }

  /**
   * Creates whatever is missing: the target (partitioned and clustered), the tombstones (hard
   * deletes, clustered by key), the applied-batch record, the reloads under way and the record of
   * each target's key and delete mode.
   */
  public String createTables(int sequenceWidth) {
    MergeStatements m = new MergeStatements(d, table, sequenceWidth);
    StringBuilder sql = new StringBuilder(m.createTarget()).append(partitionBy()).append(clusterBy()).append(";\n");
    if (hard()) {
      sql.append(m.createTombstones());
      if (!TableLayout.keyClustering(table.schema()).isEmpty()) {
        sql.append("\nCLUSTER BY ").append(quotedList(TableLayout.keyClustering(table.schema())));
      }
      sql.append(";\n");
    }
    sql.append(m.createBatches()).append("\nCLUSTER BY table_name;\n");
    sql.append(new ReloadStatements(d, table, 1).createReloads()).append(";\n");
    sql.append(new ContractStatements(d).create()).append(";\n");
    return sql.toString();
  }

  /**
   * Adds sequence parts {@code from} to {@code width - 1} to the target (and tombstones), zero in
   * every existing row, so rows written with narrower sequences compare as they did.
   */
  public String widenSequence(int from, int width) {
    StringBuilder sql = new StringBuilder();
    for (String name : hard() ? new String[] {table.name(), table.tombstoneName()} : new String[] {table.name()}) {
      StringJoiner add = new StringJoiner(", ");
      StringJoiner set = new StringJoiner(", ");
      StringJoiner anyNull = new StringJoiner(" OR ");
      for (int i = from; i < width; i++) {
        add.add("ADD COLUMN IF NOT EXISTS " + seq(i) + " INT64");
        set.add(seq(i) + " = IFNULL(" + seq(i) + ", 0)");
        anyNull.add(seq(i) + " IS NULL");
      }
      sql.append("ALTER TABLE ").append(d.table(name)).append(' ').append(add).append(";\n")
          .append("UPDATE ").append(d.table(name)).append(" SET ").append(set).append(" WHERE ")
          .append(anyNull).append(";\n");
    }
    return sql.toString();
  }

  /**
   * Applies one batch loaded into {@code stagingTable}, in one transaction with the record that it
   * was applied; a batch already recorded changes nothing. Parameters: {@code table_name},
   * {@code batch_id}, {@code rows_staged}. Result: {@code already_applied, inserted, updated,
   * deleted, effective, without_base} (the last, a JSON array of the staged partial rows that found
   * no live row to complete them, as JSON text).
   *
   * @param bounds the batch's partition bounds, to read only those partitions of the target; null
   *     to read it whole
   * @param partialRows whether the batch has partial rows ({@link MergeStatements#withPartialRows})
   */
  public String merge(int sequenceWidth, String stagingTable, PartitionBounds bounds, boolean partialRows) {
    MergeStatements m = new MergeStatements(d, table, sequenceWidth).withStagingTable(stagingTable)
        .withPartialRows(partialRows);
    if (bounds != null) {
      m = m.withTargetBounds(bounds);
    }
    StringBuilder sql = new StringBuilder();
    sql.append("DECLARE already_applied BOOL DEFAULT FALSE;\n")
        .append("DECLARE without_base ARRAY<STRING> DEFAULT [];\n")
        .append("DECLARE n_inserted, n_updated, n_deleted, n_effective INT64 DEFAULT 0;\n")
        .append("BEGIN TRANSACTION;\n")
        .append("SET already_applied = (").append(m.selectApplied()).append(") > 0;\n")
        .append("IF NOT already_applied THEN\n");
    applyEffective(sql, m, partialRows);
    if (hard()) {
      sql.append(m.mergeTombstones()).append(";\n");
    }
    sql.append("INSERT INTO ").append(d.table(MergeStatements.BATCHES))
        .append(" (table_name, batch_id, applied_at, rows_staged, inserted, updated, deleted)\n")
        .append("  VALUES (@table_name, @batch_id, CURRENT_TIMESTAMP(), @rows_staged, n_inserted, n_updated, n_deleted);\n")
        .append("END IF;\n")
        .append("COMMIT TRANSACTION;\n")
        .append("SELECT already_applied, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted,"
            + " n_effective AS effective, TO_JSON_STRING(without_base) AS without_base;\n");
    return sql.toString();
  }

  /**
   * The effective changes, their counts into {@code n_*} (and, with partial rows, those without
   * base into {@code without_base}, then out of the effective changes) and the MERGE.
   */
  private static void applyEffective(StringBuilder sql, MergeStatements m, boolean partialRows) {
    sql.append(m.selectEffective()).append(";\n");
    if (partialRows) {
      sql.append("SET without_base = ARRAY(").append(m.selectPartialWithoutBase()).append(");\n");
    }
    sql.append("SET (n_inserted, n_updated, n_deleted, n_effective) = (SELECT AS STRUCT IFNULL(c.inserted, 0),"
            + " IFNULL(c.updated, 0), IFNULL(c.deleted, 0), c.effective FROM (")
        .append(m.countEffective()).append(") AS c);\n");
    if (partialRows) {
      sql.append(m.dropPartialWithoutBase()).append(";\n");
    }
    sql.append(m.mergeTarget()).append(";\n");
  }

  /**
   * The lowest and highest partition value of a loaded batch, as canonical text, and how many of
   * its rows have none. No parameters.
   */
  public String batchBounds(String stagingTable) {
    ColumnType type = layout.partitionType(table.schema());
    String col = d.quote(layout.partitionField());
    return "SELECT " + text(type, "MIN(" + col + ")") + " AS low, " + text(type, "MAX(" + col + ")")
        + " AS high, COUNTIF(" + col + " IS NULL) AS missing FROM " + d.table(stagingTable);
  }

  /**
   * Applies a reload whose batches are all loaded into {@code stagingTable}, in one transaction:
   * the rows of batches not applied before, their record, and then (when {@code removes}) the
   * removal of the live rows older than {@code @sequence} that the reload lacks, those whose key is
   * in {@code keptTable} excepted (null: none kept). When the removal would take more than
   * {@code @max_delete_percent} of the live rows the whole transaction is rolled back: nothing of
   * the reload is applied. Parameters: {@code table_name}, {@code sequence},
   * {@code max_delete_percent}. Result: {@code refused, inserted, updated, deleted, effective,
   * live_rows, older_rows, kept_rows, without_base}.
   */
  public String applyReload(int sequenceWidth, String stagingTable, String keptTable, boolean removes,
      boolean partialRows) {
    MergeStatements m = new MergeStatements(d, table, sequenceWidth).withStagingTable(stagingTable).forAllStaged()
        .withPartialRows(partialRows);
    ReloadStatements r = new ReloadStatements(d, table, sequenceWidth);
    if (keptTable != null) {
      r = r.keeping(keptTable);
    }
    StringBuilder sql = new StringBuilder();
    sql.append("DECLARE n_inserted, n_updated, n_deleted, n_effective, live_rows, older_rows, kept_rows"
            + " INT64 DEFAULT 0;\n")
        .append("DECLARE refused BOOL DEFAULT FALSE;\n")
        .append("DECLARE without_base ARRAY<STRING> DEFAULT [];\n")
        .append("BEGIN\n")
        .append("BEGIN TRANSACTION;\n")
        .append(m.dropAppliedStaged()).append(";\n");
    applyEffective(sql, m, partialRows);
    if (hard()) {
      sql.append(m.mergeTombstones()).append(";\n");
    }
    sql.append(m.recordStagedBatches()).append(";\n");
    if (removes) {
      sql.append("SET live_rows = (").append(r.countLive()).append(");\n")
          .append("SET older_rows = (").append(r.countOlder()).append(");\n");
      if (keptTable != null) {
        sql.append("SET kept_rows = (").append(r.countKept()).append(");\n");
      }
      sql.append("IF older_rows > 0 AND older_rows * 100 > @max_delete_percent * live_rows THEN\n")
          .append("  SET refused = TRUE;\n")
          .append("  RAISE USING MESSAGE = 'the reload would remove more rows than --maxReloadDeletePercent allows';\n")
          .append("END IF;\n")
          .append("IF older_rows > 0 THEN\n");
      if (hard()) {
        sql.append(r.tombstoneOlder()).append(";\n");
      }
      sql.append(r.removeOlder()).append(";\n")
          .append("END IF;\n")
          .append(r.deletePending()).append(";\n");
    }
    sql.append("COMMIT TRANSACTION;\n")
        .append("EXCEPTION WHEN ERROR THEN\n")
        .append("  ROLLBACK TRANSACTION;\n")
        .append("  IF NOT refused THEN\n")
        .append("    RAISE USING MESSAGE = @@error.message;\n")
        .append("  END IF;\n")
        .append("END;\n")
        .append("SELECT refused, n_inserted AS inserted, n_updated AS updated, n_deleted AS deleted,"
            + " n_effective AS effective, live_rows, older_rows, kept_rows, TO_JSON_STRING(without_base)"
            + " AS without_base;\n");
    return sql.toString();
  }

  /** The table of a reload's kept keys: the key columns, as staged. */
  public String createKept(String keptTable) {
    return new ReloadStatements(d, table, 1).keeping(keptTable).createKept() + ";\n";
  }

  /** Notes a reload under way. Parameters: {@code table_name}, {@code fingerprint}, {@code sequence}. */
  public String startReload() {
    ReloadStatements r = new ReloadStatements(d, table, 1);
    return "BEGIN TRANSACTION;\n" + r.deletePending() + ";\n" + r.insertPending() + ";\nCOMMIT TRANSACTION;\n";
  }

  /**
   * A target created now has no past: forgets applied batches, a reload under way and tombstones
   * left from a dropped table of the same name, and records the key and delete mode it is created
   * with. Parameters: {@code table_name}, {@code key_columns}, {@code delete_mode}.
   */
  public String forgetHistory() {
    ContractStatements contract = new ContractStatements(d);
    StringBuilder sql = new StringBuilder("BEGIN TRANSACTION;\n")
        .append("DELETE FROM ").append(d.table(MergeStatements.BATCHES)).append(" WHERE table_name = @table_name;\n")
        .append(new ReloadStatements(d, table, 1).deletePending()).append(";\n")
        .append(contract.delete()).append(";\n")
        .append(contract.insert()).append(";\n");
    if (hard()) {
      sql.append("DELETE FROM ").append(d.table(table.tombstoneName())).append(" WHERE TRUE;\n");
    }
    return sql.append("COMMIT TRANSACTION;\n").toString();
  }

  /** Every live row, each column as canonical text (BYTES in base64, JSON compact). No parameters. */
  public String selectRows() {
    StringJoiner cols = new StringJoiner(", ");
    for (Column c : table.schema().columns()) {
      cols.add(text(c.type(), d.quote(c.name())) + " AS " + d.quote(c.name()));
    }
    return "SELECT " + cols + " FROM " + d.table(table.name())
        + (hard() ? "" : " WHERE NOT " + d.quote("_is_deleted"));
  }

  /**
   * What the target records of every key: each row's columns as canonical text (a tombstone's key
   * columns only), its {@code width} sequence parts, and whether it is deleted ({@code _deleted}).
   * No parameters.
   */
  public String selectKeyRecords(int width) {
    return selectKeyRecords(width, false);
  }

  /**
   * As above; {@code byFirstKey}: only the keys whose first key column's text is one of {@code
   * @first_keys}, a JSON array of strings.
   */
  public String selectKeyRecords(int width, boolean byFirstKey) {
    StringJoiner rows = new StringJoiner(", ");
    StringJoiner tombstones = new StringJoiner(", ");
    for (Column c : table.schema().columns()) {
      String text = text(c.type(), d.quote(c.name()));
      rows.add(text + " AS " + d.quote(c.name()));
      tombstones.add(table.schema().keyColumns().contains(c.name()) ? text : "CAST(NULL AS STRING)");
    }
    for (int i = 0; i < width; i++) {
      rows.add(seq(i));
      tombstones.add(seq(i));
    }
    Column first = table.schema().column(table.schema().keyIndexes()[0]);
    String where = byFirstKey
        ? " WHERE " + text(first.type(), d.quote(first.name())) + " IN UNNEST(JSON_VALUE_ARRAY(@first_keys))" : "";
    return "SELECT " + rows + ", " + (hard() ? "FALSE" : d.quote("_is_deleted")) + " AS _deleted FROM "
        + d.table(table.name()) + where
        + (hard() ? " UNION ALL SELECT " + tombstones + ", TRUE FROM " + d.table(table.tombstoneName()) + where : "");
  }

  /** An expression of {@code type} as the canonical text the change model parses. */
  static String text(ColumnType type, String expression) {
    return switch (type) {
      case STRING -> expression;
      case BYTES -> "TO_BASE64(" + expression + ")";
      case JSON -> "TO_JSON_STRING(" + expression + ")";
      case DATETIME -> "FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', " + expression + ")";
      case TIME -> "FORMAT_TIME('%H:%M:%E6S', " + expression + ")";
      case TIMESTAMP -> "FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', " + expression + ", 'UTC')";
      default -> "CAST(" + expression + " AS STRING)";
    };
  }
}
