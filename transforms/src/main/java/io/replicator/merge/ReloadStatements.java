package io.replicator.merge;

import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.StagedLine;
import io.replicator.change.TargetTable;
import java.util.StringJoiner;

/**
 * The SQL that ends a full-table reload: rows the reload did not touch (a sequence below the
 * reload's) were not in the snapshot and are removed; rows changed after the reload stay, and so
 * do rows whose key a rejected snapshot line names ({@link #keeping}). Parameters are named
 * ({@link SqlDialect#parameter}), bound in the order each method documents.
 */
public final class ReloadStatements {
  /** Reloads under way: a re-run of the same reload takes the same sequence from here. */
  public static final String RELOADS = "_replicator_reloads";

  private final SqlDialect d;
  private final TargetTable table;
  private final int width;
  /** Keys a reload keeps whatever their sequence (key columns only), or null. */
  private final String keptTable;

  public ReloadStatements(SqlDialect dialect, TargetTable table, int sequenceWidth) {
    this(dialect, table, sequenceWidth, null);
  }

  private ReloadStatements(SqlDialect dialect, TargetTable table, int sequenceWidth, String keptTable) {
    this.d = dialect;
    this.table = table;
    this.width = sequenceWidth;
    this.keptTable = keptTable;
  }

  /**
   * Keeps the rows whose key is in {@code keysTable} (the keys of rejected snapshot lines, one
   * column per key column): the reload could not read their lines, so it cannot say they are gone.
   */
  public ReloadStatements keeping(String keysTable) {
    return new ReloadStatements(d, table, width, keysTable);
  }

  private String seq(int i) {
    return d.quote(StagedLine.sequenceColumn(i));
  }

  private String sequence() {
    return d.parameter("sequence");
  }

  private String live() {
    return table.deleteMode() == DeleteMode.SOFT ? " AND NOT t." + d.quote("_is_deleted") : "";
  }

  /** {@code EXISTS} (or {@code NOT EXISTS}) a kept key for the target row {@code t}. */
  private String kept(boolean exists) {
    StringJoiner on = new StringJoiner(" AND ");
    for (String k : table.schema().keyColumns()) {
      on.add("t." + d.quote(k) + " = " + d.fromStaging(table.schema().column(table.schema().indexOf(k)).type(),
          "k." + d.quote(k)));
    }
    return (exists ? " AND EXISTS" : " AND NOT EXISTS") + " (SELECT 1 FROM " + d.table(keptTable) + " AS k WHERE "
        + on + ")";
  }

  /** Live rows older than the reload that it removes: not in the snapshot, not kept. */
  private String older() {
    return "t." + seq(0) + " < " + sequence() + live() + (keptTable == null ? "" : kept(false));
  }

  /** Live rows. No parameters. */
  public String countLive() {
    return "SELECT COUNT(*) FROM " + d.table(table.name()) + " AS t WHERE TRUE" + live();
  }

  /** Live rows older than the reload that it removes. Parameter: the reload's sequence. */
  public String countOlder() {
    return "SELECT COUNT(*) FROM " + d.table(table.name()) + " AS t WHERE " + older();
  }

  /** Live rows older than the reload that it keeps for a rejected line. Parameter: the reload's sequence. */
  public String countKept() {
    if (keptTable == null) {
      throw new IllegalStateException("no kept keys: see keeping()");
    }
    return "SELECT COUNT(*) FROM " + d.table(table.name()) + " AS t WHERE t." + seq(0) + " < " + sequence() + live()
        + kept(true);
  }

  /** Hard deletes: tombstones for the rows about to go. Parameter: sequence, twice. */
  public String tombstoneOlder() {
    StringJoiner cols = new StringJoiner(", ");
    StringJoiner vals = new StringJoiner(", ");
    for (String k : table.schema().keyColumns()) {
      cols.add(d.quote(k));
      vals.add("t." + d.quote(k));
    }
    for (int i = 0; i < width; i++) {
      cols.add(seq(i));
      vals.add(i == 0 ? sequence() : "0");
    }
    return "INSERT INTO " + d.table(table.tombstoneName()) + " (" + cols + ") SELECT " + vals
        + " FROM " + d.table(table.name()) + " AS t WHERE " + older();
  }

  /** Removes (hard) or marks deleted (soft) the rows older than the reload. Parameter: sequence (soft: twice). */
  public String removeOlder() {
    if (table.deleteMode() == DeleteMode.HARD) {
      return "DELETE FROM " + d.table(table.name()) + " AS t WHERE " + older();
    }
    StringJoiner set = new StringJoiner(", ");
    set.add(d.quote("_is_deleted") + " = TRUE");
    set.add(seq(0) + " = " + sequence());
    for (int i = 1; i < width; i++) {
      set.add(seq(i) + " = 0");
    }
    return "UPDATE " + d.table(table.name()) + " AS t SET " + set + " WHERE " + older();
  }

  /** The table of kept keys: the target's key columns, typed as the staging table types them. */
  public String createKept() {
    StringJoiner cols = new StringJoiner(", ");
    for (String k : table.schema().keyColumns()) {
      cols.add(d.quote(k) + " " + d.stagingType(table.schema().column(table.schema().indexOf(k)).type()));
    }
    return "CREATE TABLE IF NOT EXISTS " + d.table(keptTable) + " (" + cols + ")";
  }

  public String createReloads() {
    return "CREATE TABLE IF NOT EXISTS " + d.table(RELOADS) + " (table_name "
        + d.targetType(ColumnType.STRING) + " NOT NULL, fingerprint "
        + d.targetType(ColumnType.STRING) + " NOT NULL, sequence_num "
        + d.targetType(ColumnType.INT64) + " NOT NULL, started_at "
        + d.targetType(ColumnType.TIMESTAMP) + " NOT NULL)";
  }

  /** Parameters: {@code table_name}, {@code fingerprint}. */
  public String selectPending() {
    return "SELECT sequence_num FROM " + d.table(RELOADS) + " WHERE table_name = " + d.parameter("table_name")
        + " AND fingerprint = " + d.parameter("fingerprint");
  }

  /** Parameters: {@code table_name}, {@code fingerprint}, {@code sequence}. */
  public String insertPending() {
    return "INSERT INTO " + d.table(RELOADS) + " (table_name, fingerprint, sequence_num, started_at) VALUES ("
        + d.parameter("table_name") + ", " + d.parameter("fingerprint") + ", " + sequence() + ", CURRENT_TIMESTAMP)";
  }

  /** Parameter: {@code table_name}. */
  public String deletePending() {
    return "DELETE FROM " + d.table(RELOADS) + " WHERE table_name = " + d.parameter("table_name");
  }

  /** The highest first sequence part the target and its tombstones hold (NULL when empty). */
  public String maxSequence() {
    String target = "SELECT MAX(" + seq(0) + ") AS m FROM " + d.table(table.name());
    if (table.deleteMode() == DeleteMode.HARD) {
      target += " UNION ALL SELECT MAX(" + seq(0) + ") AS m FROM " + d.table(table.tombstoneName());
    }
    return "SELECT MAX(m) FROM (" + target + ") AS x";
  }
}
