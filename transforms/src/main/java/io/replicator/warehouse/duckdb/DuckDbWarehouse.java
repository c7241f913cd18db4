package io.replicator.warehouse.duckdb;

import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.StagedBatch;
import io.replicator.change.StagedLine;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.common.JdbcDrivers;
import io.replicator.common.LocalFiles;
import io.replicator.merge.ContractStatements;
import io.replicator.merge.DuckDbDialect;
import io.replicator.merge.MergeStatements;
import io.replicator.merge.ReloadStatements;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.MergedBatches;
import io.replicator.warehouse.spi.Reload;
import io.replicator.warehouse.spi.ReloadRefusedException;
import io.replicator.warehouse.spi.ReloadResult;
import io.replicator.warehouse.spi.TableContract;
import io.replicator.warehouse.spi.Warehouse;
import io.replicator.warehouse.spi.WarehouseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.metrics.Counter;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded DuckDB database file as the target. One database is opened per file and JVM and
 * shared by every user of it (DuckDB allows one writer process per file); merges into it are
 * serialised, each batch in one transaction with its bookkeeping.
 */
public final class DuckDbWarehouse implements Warehouse {
  private static final Logger LOG = LoggerFactory.getLogger(DuckDbWarehouse.class);
  private static final DuckDbDialect SQL = DuckDbDialect.INSTANCE;
  private static final Map<Path, Shared> OPEN = new HashMap<>();

  /** One open database and how many users hold it. */
  private static final class Shared {
    final DuckDBConnection root;
    int users;

    Shared(DuckDBConnection root) {
      this.root = root;
    }
  }

  private final Path path;
  private final Shared shared;
  private final Connection conn;
  private final Counter loadWall = Counters.counter(Warehouse.LOAD_WALL_MILLIS);
  private boolean closed;

  private DuckDbWarehouse(Path path, Shared shared, Connection conn) {
    this.path = path;
    this.shared = shared;
    this.conn = conn;
  }

  /** Opens (creating when missing) the database at {@code path}, waiting up to {@link #LOCK_WAIT} for its lock. */
  public static DuckDbWarehouse open(Path path) {
    return open(path, LOCK_WAIT);
  }

  /**
   * Opens (creating when missing) the database at {@code path}; while another process holds the
   * file, waits up to {@code lockTimeout} for it.
   */
  public static DuckDbWarehouse open(Path path, Duration lockTimeout) {
    Path key = path.toAbsolutePath().normalize();
    synchronized (OPEN) {
      Shared shared = OPEN.get(key);
      try {
        if (shared == null) {
          if (key.getParent() != null) {
            Files.createDirectories(key.getParent());
          }
          DuckDBConnection root = connectWaitingForLock(key, lockTimeout);
          try (Statement st = root.createStatement()) {
            // DuckDB would cache the table in up to 80% of the machine's memory, so the job's
            // memory would grow with the table; past this bound it spills to <database>.tmp.
            st.execute("SET memory_limit = '" + (MEMORY_LIMIT >> 20) + "MiB'");
          }
          shared = new Shared(root);
          OPEN.put(key, shared);
        }
        Connection conn = shared.root.duplicate();
        shared.users++;
        return new DuckDbWarehouse(key, shared, conn);
      } catch (SQLException | IOException e) {
        throw new WarehouseException("cannot open DuckDB database " + key + ": " + e.getMessage(), e);
      }
    }
  }

  /** How long an open waits for another process's lock on the database by default. */
  public static final Duration LOCK_WAIT = Duration.ofSeconds(60);
  private static final Pattern LOCK_HOLDER = Pattern.compile("held in (.*?) \\(PID (\\d+)\\)");

  /**
   * Opens the database file, waiting while another process holds it: a DuckDB file is written by
   * one process at a time, so the workers of a multi-process cluster (Flink TaskManagers) take turns,
   * each holding it only while it merges a batch, and a second run waits for the first.
   */
  private static DuckDBConnection connectWaitingForLock(Path key, Duration timeout) throws SQLException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50;
    boolean told = false;
    while (true) {
      try {
        return (DuckDBConnection) JdbcDrivers.connect("jdbc:duckdb:" + key, new Properties());
      } catch (SQLException e) {
        if (!String.valueOf(e.getMessage()).contains("Could not set lock")) {
          throw e;
        }
        String holder = lockHolder(e.getMessage());
        if (System.nanoTime() > deadline) {
          throw new SQLException(holder + " has held the database for longer than the lock timeout of "
              + timeout.toSeconds() + " s (--lockTimeout). A DuckDB file is written by one process at a time: wait"
              + " for or stop that process, raise --lockTimeout, or use --warehouse=bigquery:PROJECT.DATASET for a"
              + " cluster", e);
        }
        if (!told) {
          LOG.warn("{} is held by {}; waiting up to {} s for it (--lockTimeout)", key, holder, timeout.toSeconds());
          told = true;
        }
        try {
          Thread.sleep(pause);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while waiting for another process's lock on the database", interrupted);
        }
        pause = Math.min(1000, pause * 2);
      }
    }
  }

  /** Who holds the lock, from DuckDB's message: "another process (java, PID 1234)". */
  static String lockHolder(String message) {
    Matcher m = LOCK_HOLDER.matcher(String.valueOf(message));
    if (!m.find()) {
      return "another process";
    }
    String program = m.group(1);
    return "another process (" + program.substring(program.lastIndexOf('/') + 1) + ", PID " + m.group(2) + ")";
  }

  @Override
  public void ensureTables(TargetTable table, AddedColumns added) {
    MergeStatements sql = new MergeStatements(SQL, table, 1);
    ContractStatements contracts = new ContractStatements(SQL);
    synchronized (shared) {
      try (Statement st = conn.createStatement()) {
        boolean exists = tableExists(table.name());
        // Read before the DDL below creates a missing tombstone table with this run's key.
        List<String> structuralKey = exists ? keyFromStructure(table) : null;
        for (String ddl : sql.createTables()) {
          st.execute(ddl);
        }
        // Earlier versions kept the staging table in the file; it is empty outside a merge's transaction.
        st.execute("DROP TABLE IF EXISTS " + SQL.table(table.stagingName()));
        st.execute(new ReloadStatements(SQL, table, 1).createReloads());
        st.execute(contracts.create());
        if (exists) {
          checkColumns(table, added);
          checkContract(table, structuralKey);
        } else {
          forgetHistory(table);
          recordContract(table, TableContract.of(table));
        }
      } catch (SQLException e) {
        throw new WarehouseException("cannot create the tables of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Refuses a run whose key or delete mode is not the target's. A target without a record (made
   * before targets had one) has its key read from its structure, then recorded.
   */
  private void checkContract(TargetTable table, List<String> structuralKey) throws SQLException {
    TableContract recorded = null;
    try (PreparedStatement ps = conn.prepareStatement(new ContractStatements(SQL).select())) {
      ps.setString(1, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          recorded = TableContract.parse(rs.getString(1), rs.getString(2));
        }
      }
    }
    TableContract contract = TableContract.checked(recorded, structuralKey, table, path.toString());
    if (recorded == null) {
      recordContract(table, contract);
    }
  }

  private void recordContract(TargetTable table, TableContract contract) throws SQLException {
    ContractStatements sql = new ContractStatements(SQL);
    execute(sql.delete(), table.name());
    execute(sql.insert(), table.name(), contract.keyColumnsJson(), contract.deleteMode().name());
  }

  /**
   * The key a target was made with, as its structure tells: its tombstone table's columns (hard
   * deletes), or its NOT NULL columns (soft deletes keep only keys NOT NULL); null when it cannot tell.
   */
  private List<String> keyFromStructure(TargetTable table) throws SQLException {
    boolean soft = columnsOf(table.name()).containsKey("_is_deleted");
    List<String> key = new ArrayList<>();
    nullableColumns(soft ? table.name() : table.tombstoneName()).forEach((name, nullable) -> {
      if (!name.startsWith("_") && (!soft || !nullable)) {
        key.add(name);
      }
    });
    return key.isEmpty() ? null : key;
  }

  /** A table's columns in order, each with whether it is nullable. */
  private Map<String, Boolean> nullableColumns(String name) throws SQLException {
    Map<String, Boolean> columns = new java.util.LinkedHashMap<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT column_name, is_nullable FROM information_schema.columns"
        + " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.put(rs.getString(1), "YES".equals(rs.getString(2)));
        }
      }
    }
    return columns;
  }

  /**
   * A target created now has no past: bookkeeping left from a dropped table of the same name
   * (applied batches, tombstones, a reload under way) would make a re-run skip or ignore rows.
   */
  private void forgetHistory(TargetTable table) throws SQLException {
    execute("DELETE FROM " + SQL.table(MergeStatements.BATCHES) + " WHERE table_name = ?", table.name());
    execute(new ReloadStatements(SQL, table, 1).deletePending(), table.name());
    if (table.deleteMode() == DeleteMode.HARD) {
      execute("DELETE FROM " + SQL.table(table.tombstoneName()));
    }
  }

  private boolean tableExists(String name) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?")) {
      ps.setString(1, name);
      return queryLong(ps) > 0;
    }
  }

  @Override
  public TargetTable addColumns(TargetTable table, List<Column> columns) {
    synchronized (shared) {
      try (Statement st = conn.createStatement()) {
        for (Column c : columns) {
          st.execute("ALTER TABLE " + SQL.table(table.name()) + " ADD COLUMN IF NOT EXISTS " + SQL.quote(c.name())
              + " " + SQL.targetType(c.type()));
        }
      } catch (SQLException e) {
        throw new WarehouseException("cannot add columns to " + table.name() + ": " + e.getMessage(), e);
      }
      return current(table);
    }
  }

  @Override
  public List<Column> missingColumns(TargetTable table) {
    synchronized (shared) {
      try {
        if (!tableExists(table.name())) {
          return List.of();
        }
        Map<String, String> actual = columnsOf(table.name());
        return table.schema().columns().stream()
            .filter(c -> !actual.containsKey(c.name().toLowerCase(Locale.ROOT))).toList();
      } catch (SQLException e) {
        throw new WarehouseException("cannot read the columns of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public TargetTable current(TargetTable table) {
    List<Column> added = new ArrayList<>();
    synchronized (shared) {
      try (PreparedStatement ps = conn.prepareStatement("SELECT column_name, data_type FROM information_schema.columns"
          + " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")) {
        ps.setString(1, table.name());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String name = rs.getString(1);
            if (!name.startsWith("_") && table.schema().indexOf(name) == null) {
              added.add(new Column(name, typeOf(rs.getString(2), table, name), false));
            }
          }
        }
      } catch (SQLException e) {
        throw new WarehouseException("cannot read the columns of " + table.name() + ": " + e.getMessage(), e);
      }
    }
    return added.isEmpty() ? table : table.withColumns(added);
  }

  /** The column type a DuckDB type stands for (the one {@link DuckDbDialect} writes it as). */
  private static ColumnType typeOf(String duckDbType, TargetTable table, String column) {
    for (ColumnType t : ColumnType.values()) {
      if (sameType(duckDbType, SQL.targetType(t))) {
        return t;
      }
    }
    throw new WarehouseException("column '" + column + "' of " + table.name() + " has type " + duckDbType
        + ", which no schema type is written as");
  }

  /** Column name (lower case) to DuckDB's data_type for a table. */
  private Map<String, String> columnsOf(String name) throws SQLException {
    Map<String, String> cols = new HashMap<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT column_name, data_type FROM information_schema.columns"
            + " WHERE table_schema = current_schema() AND table_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
        }
      }
    }
    return cols;
  }

  private void checkColumns(TargetTable table, AddedColumns added) throws SQLException {
    Map<String, String> actual = columnsOf(table.name());
    StringJoiner problems = new StringJoiner("; ");
    for (Column c : table.schema().columns()) {
      String type = actual.get(c.name().toLowerCase(Locale.ROOT));
      String expected = SQL.targetType(c.type());
      if (type == null) {
        problems.add("column '" + c.name() + "' is missing");
      } else if (!sameType(type, expected)) {
        problems.add("column '" + c.name() + "' is " + type + ", the schema says " + c.type() + " (" + expected + ")");
      }
    }
    for (String extra : extraColumns(table, added)) {
      problems.add("column '" + extra + "' is in the table but not in the schema (every update would keep its old"
          + " value); add it to the schema");
    }
    boolean soft = actual.containsKey("_is_deleted");
    if (soft != (table.deleteMode() == DeleteMode.SOFT)) {
      problems.add(soft ? "it was created with --deletes=soft" : "it was created with --deletes=hard");
    }
    if (problems.length() > 0) {
      throw new WarehouseException("table " + table.name() + " in " + path + " does not match the schema: " + problems);
    }
  }

  /** The target's own columns the schema lacks (nullable ones are fine when {@code added} accepts them). */
  private List<String> extraColumns(TargetTable table, AddedColumns added) throws SQLException {
    List<String> extra = new ArrayList<>();
    nullableColumns(table.name()).forEach((name, nullable) -> {
      if (!name.startsWith("_") && table.schema().indexOf(name) == null && !(added == AddedColumns.ACCEPTED && nullable)) {
        extra.add(name);
      }
    });
    return extra;
  }

  private static boolean sameType(String actual, String expected) {
    String a = actual.toUpperCase(Locale.ROOT);
    return a.equals(expected)
        || (expected.equals("TIMESTAMPTZ") && a.equals("TIMESTAMP WITH TIME ZONE"))
        || (expected.equals("JSON") && a.equals("JSON"));
  }

  /** Adds sequence columns to a table created for narrower sequences. */
  private void ensureSequenceWidth(TargetTable table, int width) throws SQLException {
    if (width == 1) {
      return;
    }
    MergeStatements sql = new MergeStatements(SQL, table, width);
    String[] names = table.deleteMode() == DeleteMode.HARD
        ? new String[] {table.name(), table.tombstoneName()}
        : new String[] {table.name()};
    for (String name : names) {
      Map<String, String> cols = columnsOf(name);
      for (int i = 1; i < width; i++) {
        if (!cols.containsKey(StagedLine.sequenceColumn(i))) {
          try (Statement st = conn.createStatement()) {
            st.execute(sql.addSequenceColumn(name, i));
          }
        }
      }
    }
  }

  /** How wide the target's sequences are: its number of sequence columns. */
  private int sequenceWidth(TargetTable table) throws SQLException {
    Map<String, String> cols = columnsOf(table.name());
    int width = 1;
    while (width < 4 && cols.containsKey(StagedLine.sequenceColumn(width))) {
      width++;
    }
    return width;
  }

  @Override
  public long maxSequenceNum(TargetTable table) {
    synchronized (shared) {
      try (PreparedStatement ps = conn.prepareStatement(
          new ReloadStatements(SQL, table, 1).maxSequence())) {
        return queryLong(ps);
      } catch (SQLException e) {
        throw new WarehouseException("cannot read the highest sequence of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public MergeResult merge(TargetTable table, StagedBatch batch) {
    return merge(table, batch, null);
  }

  /**
   * Merges with the target side restricted to {@code bounds} (null: the whole table): the SQL the
   * BigQuery target runs to prune partitions, executed here to test its semantics.
   */
  MergeResult merge(TargetTable table, StagedBatch batch, io.replicator.merge.PartitionBounds bounds) {
    return merge(table, batch, bounds, true);
  }

  /** @param appendNewKeys whether a batch of keys all new to the target is appended (tests compare both ways) */
  MergeResult merge(TargetTable table, StagedBatch batch, io.replicator.merge.PartitionBounds bounds,
      boolean appendNewKeys) {
    return inTransaction("merging batch " + batch.batchId() + " into " + table.name(), () ->
        notApplied(table, List.of(batch)).isEmpty()
            ? MergeResult.skipped(table.name(), batch.batchId(), batch.rows())
            : applyTogether(table, List.of(batch), batch.batchId(), bounds, appendNewKeys));
  }

  /**
   * Applies a batch none of whose keys the target holds (nor remembers deleted): every change is
   * newer than anything the target knows, so its rows are inserted as staged, with no scratch
   * table of effective changes and no MERGE matching them against the target. That is every batch
   * of a first load: the four of 2,000,000 rows spent 5.2-5.7 s in DuckDB instead of 13.3-16.2 s
   * (loads included, summed; {@code bench replicate}, 2026-12-02). Sound because merges into the
   * file are serialised (one process holds it, and there one transaction at a time): no key can
   * arrive between the check and the insert. BigQuery runs concurrent INSERTs side by side, so its
   * batches are always merged. Returns {@code inserted}, the staged UPSERTs the caller counted.
   */
  private long append(TargetTable table, MergeStatements sql, long inserted, Object... batchId) throws SQLException {
    execute(sql.appendStaged(), batchId);
    if (table.deleteMode() == DeleteMode.HARD) {
      execute(sql.appendTombstones(), batchId);
    }
    return inserted;
  }

  /**
   * Staged bytes merged as one change set at most ({@link #mergeTogether}): four batches of the
   * default bound. DuckDB holds what it loads within its memory limit and spills the rest to disk,
   * so this bounds the disk a merge takes and what one failed transaction throws away.
   */
  static final long MERGE_TOGETHER_BYTES = 1L << 30;

  /**
   * Merges the batches in groups of up to {@link #MERGE_TOGETHER_BYTES}, each group loaded as one
   * staging table and applied with one append or MERGE in one transaction: merges into the file
   * run one at a time, and each matches the whole target, so a group costs about what one of its
   * batches would.
   */
  @Override
  public List<MergedBatches> mergeTogether(TargetTable table, List<StagedBatch> batches) {
    List<MergedBatches> merges = new ArrayList<>();
    List<StagedBatch> group = new ArrayList<>();
    long bytes = 0;
    for (StagedBatch b : batches) {
      if (!group.isEmpty() && bytes + b.bytes() > MERGE_TOGETHER_BYTES) {
        merges.add(mergeGroup(table, group));
        group = new ArrayList<>();
        bytes = 0;
      }
      group.add(b);
      bytes += b.bytes();
    }
    if (!group.isEmpty()) {
      merges.add(mergeGroup(table, group));
    }
    return merges;
  }

  private MergedBatches mergeGroup(TargetTable table, List<StagedBatch> batches) {
    long start = System.nanoTime();
    return inTransaction("merging " + batches.size() + " batches into " + table.name(), () -> {
      List<StagedBatch> todo = notApplied(table, batches);
      String id = todo.size() == 1 ? todo.get(0).batchId() : todo.size() + " batches";
      MergeResult merged = todo.isEmpty()
          ? MergeResult.skipped(table.name(), batches.size() + " batches", rows(batches))
          : applyTogether(table, todo, id, null, true);
      return new MergedBatches(merged, todo.size(), batches.size() - todo.size(),
          (System.nanoTime() - start) / 1_000_000);
    });
  }

  /** The batches an earlier run has not applied, in their order. */
  private List<StagedBatch> notApplied(TargetTable table, List<StagedBatch> batches) throws SQLException {
    List<StagedBatch> todo = new ArrayList<>();
    MergeStatements probe = new MergeStatements(SQL, table, 1);
    for (StagedBatch b : batches) {
      try (PreparedStatement ps = conn.prepareStatement(probe.selectApplied())) {
        ps.setString(1, table.name());
        ps.setString(2, b.batchId());
        if (queryLong(ps) == 0) {
          todo.add(b);
        }
      }
    }
    return todo;
  }

  private static long rows(List<StagedBatch> batches) {
    return batches.stream().mapToLong(StagedBatch::rows).sum();
  }

  /**
   * Loads batches no earlier run applied, no two of which hold a key, into the staging table and
   * applies them as one change set: appended where the target holds none of their keys (and
   * {@code appendNewKeys}, and no {@code bounds}), else merged. Each batch is recorded as applied,
   * with the counts when it is alone (several share theirs, so those are left out). A lone batch's
   * statements select it by its id, as BigQuery's do. For one transaction; the staging table is
   * dropped.
   *
   * @param bounds the target side restricted to these (null: the whole table)
   */
  private MergeResult applyTogether(TargetTable table, List<StagedBatch> todo, String id,
      io.replicator.merge.PartitionBounds bounds, boolean appendNewKeys) throws SQLException {
    int width = sequenceWidth(table);
    boolean partialRows = false;
    for (StagedBatch b : todo) {
      width = Math.max(width, b.sequenceWidth());
      partialRows |= b.partialRows() > 0;
    }
    ensureSequenceWidth(table, width);
    boolean alone = todo.size() == 1;
    MergeStatements sql = new MergeStatements(SQL, table, width).withPartialRows(partialRows).withStagingTable(STAGED);
    if (bounds != null) {
      sql = sql.withTargetBounds(bounds);
    }
    if (!alone) {
      sql = sql.forAllStaged();
    }
    Object[] batchId = alone ? new Object[] {todo.get(0).batchId()} : new Object[0];
    load(table, todo);
    long rows = rows(todo);
    long[] counts;
    List<String> withoutBase = List.of();
    long upserts = appendNewKeys && bounds == null && !partialRows
        ? queryLong(sql.countStagedUpserts(), batchId) : -1;
    if (upserts >= 0 && appendable(sql, rows, upserts, batchId)) {
      counts = new long[] {append(table, sql, upserts, batchId), 0, 0, rows};
    } else {
      execute(sql.selectEffective(), batchId);
      withoutBase = partialRows ? queryStrings(sql.selectPartialWithoutBase()) : List.of();
      counts = applyEffective(table, sql, partialRows);
    }
    for (StagedBatch b : todo) {
      execute(sql.recordBatch(), table.name(), b.batchId(), b.rows(), alone ? counts[0] : null,
          alone ? counts[1] : null, alone ? counts[2] : null);
    }
    execute("DROP TABLE " + SQL.quote(STAGED));
    return new MergeResult(table.name(), id, false, rows, counts[0], counts[1], counts[2], rows - counts[3], 0, 0,
        withoutBase);
  }

  /**
   * Whether no staged key is held by the target (no row, no tombstone), so that the staged rows can
   * be appended: at once when the target holds nothing (a first load); not looked for when the
   * staged rows delete any key, as a DELETE is nearly always of a row the target holds and the look
   * reads every key of the target (0.16-0.22 s of a 200,000-line change batch onto 2,000,000 rows,
   * 2026-12-04); else looked for. Merging instead is never wrong, only slower.
   */
  private boolean appendable(MergeStatements sql, long rows, long upserts, Object[] batchId) throws SQLException {
    if (queryLong(sql.anyTargetRow()) == 0) {
      return true;
    }
    if (upserts < rows) {
      return false;
    }
    return queryLong(sql.anyStagedKeyHeld(), batchId) == 0;
  }

  /**
   * Counts the effective changes (inserted, updated, deleted, effective), merges them into the
   * target and its tombstones, and drops the scratch table.
   */
  private long[] applyEffective(TargetTable table, MergeStatements sql, boolean partialRows) throws SQLException {
    long[] counts = new long[4];
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql.countEffective())) {
      rs.next();
      for (int i = 0; i < 4; i++) {
        counts[i] = rs.getLong(i + 1);
      }
    }
    if (partialRows) {
      execute(sql.dropPartialWithoutBase());
    }
    execute(sql.mergeTarget());
    if (table.deleteMode() == DeleteMode.HARD) {
      execute(sql.mergeTombstones());
    }
    execute("DROP TABLE " + SQL.quote(MergeStatements.EFFECTIVE));
    return counts;
  }

  /** The scratch table of a reload's kept keys, for one transaction. */
  private static final String KEPT = "_reload_kept";

  @Override
  public ReloadResult applyReload(TargetTable table, List<StagedBatch> batches, Reload reload) {
    return inTransaction("applying the reload of " + table.name(), () -> {
      List<StagedBatch> todo = notApplied(table, batches);
      if (!batches.isEmpty() && todo.isEmpty()) {
        return new ReloadResult(MergeResult.skipped(table.name(), "reload", rows(batches)), batches.size(), 0, 0);
      }
      MergeResult merged = applyTogether(table, todo, "reload", null, true);
      int width = sequenceWidth(table);
      if (!reload.removesVanished()) {
        return new ReloadResult(merged, todo.size(), 0, 0);
      }
      ReloadStatements r = new ReloadStatements(SQL, table, width);
      long kept = 0;
      if (reload.keptKeysFile() != null) {
        r = r.keeping(KEPT);
        execute("CREATE OR REPLACE TEMP TABLE " + SQL.quote(KEPT) + " AS SELECT * FROM "
            + readJson(localFile(reload.keptKeysFile()), keyColumns(table)));
        kept = queryLong(r.countKept(), reload.sequence());
      }
      long live = queryLong(r.countLive());
      long older = queryLong(r.countOlder(), reload.sequence());
      if (reload.refuses(older, live)) {
        throw ReloadRefusedException.of(table.name(), older, live, reload.maxDeletePercent());
      }
      if (older > 0) {
        if (table.deleteMode() == DeleteMode.HARD) {
          execute(r.tombstoneOlder(), reload.sequence(), reload.sequence());
          execute(r.removeOlder(), reload.sequence());
        } else {
          execute(r.removeOlder(), reload.sequence(), reload.sequence());
        }
      }
      if (reload.keptKeysFile() != null) {
        execute("DROP TABLE " + SQL.quote(KEPT));
      }
      execute(r.deletePending(), table.name());
      return new ReloadResult(merged, todo.size(), older, kept);
    });
  }

  /** The key columns, each with its staging type: how a kept-keys file is read. */
  private static Map<String, String> keyColumns(TargetTable table) {
    Map<String, String> columns = new java.util.LinkedHashMap<>();
    for (String k : table.schema().keyColumns()) {
      columns.put(k, SQL.stagingType(table.schema().column(table.schema().indexOf(k)).type()));
    }
    return columns;
  }

  /** Work that commits as a whole or not at all. */
  private interface Work<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction, serialised with every other user of the database: it
   * commits when the work returns and rolls back when it throws. {@code what} starts the message
   * of a failure.
   */
  private <T> T inTransaction(String what, Work<T> work) {
    synchronized (shared) {
      try {
        conn.setAutoCommit(false);
        try {
          T result = work.run();
          conn.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          conn.rollback();
          throw e;
        } finally {
          conn.setAutoCommit(true);
        }
      } catch (SQLException e) {
        throw new WarehouseException(what + " failed: " + e.getMessage(), e);
      }
    }
  }

  private static Path localFile(String file) {
    Path path = LocalFiles.pathOf(file);
    if (path == null) {
      throw new WarehouseException(
          "DuckDB reads staged batches from the local disk, but the batch is at " + file
              + "; give --staging a local directory");
    }
    return path;
  }

  /**
   * The table a transaction loads its staged files into: a temporary one, private to the
   * connection and never written to the database file, since it lives only until the merge.
   */
  private static final String STAGED = "_staged";

  /**
   * Bulk-loads staged files into the temporary staging table (DuckDB's own JSON reader, no
   * row-by-row insert), counting the wall time it takes.
   */
  private void load(TargetTable table, List<StagedBatch> batches) throws SQLException {
    long start = System.nanoTime();
    MergeStatements staging = new MergeStatements(SQL, table, 1).withStagingTable(STAGED);
    execute(staging.createStaging());
    if (!batches.isEmpty()) {
      // DuckDB's reader holds buffers of twice the largest object it may meet, per thread: sized to
      // the batches' longest line, not to the largest row there could be (a load of 170 MB then
      // takes 30% less time, and no 512 MB buffers).
      long objectBytes = MAX_OBJECT_BYTES;
      if (batches.stream().allMatch(b -> b.longestLine() > 0)) {
        objectBytes = Math.max(1 << 20, batches.stream().mapToLong(StagedBatch::longestLine).max().orElse(0));
      }
      // Each reader thread holds two buffers of that size; large rows need a higher bound.
      long needed = 4 * objectBytes * Runtime.getRuntime().availableProcessors() + (512L << 20);
      if (needed > MEMORY_LIMIT) {
        execute("SET memory_limit = '" + (needed >> 20) + "MiB'");
      }
      List<Path> files = batches.stream().map(b -> localFile(b.file())).toList();
      // A file written before its batch id was known (a snapshot staged as read) leaves the id out
      // of its lines: it comes from the batch. A line without one in a file not named fails the load.
      StringBuilder ids = new StringBuilder("CASE " + FILE_COLUMN);
      for (int i = 0; i < batches.size(); i++) {
        ids.append(" WHEN ").append(literal(files.get(i).toString())).append(" THEN ")
            .append(literal(batches.get(i).batchId()));
      }
      ids.append(" ELSE error('a staged line without a batch id in ' || " + FILE_COLUMN + ") END");
      execute("INSERT INTO " + SQL.quote(STAGED) + " BY NAME SELECT * EXCLUDE (" + FILE_COLUMN + ") REPLACE (coalesce("
          + SQL.quote("_batch_id") + ", " + ids + ") AS " + SQL.quote("_batch_id") + ") FROM "
          + readJson(files, staging.stagingColumns(), objectBytes, true));
    }
    loadWall.inc((System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The column naming each loaded row's staged file: no table's column (a name starting with '_' is
   * refused) and none of staging's metadata.
   */
  private static final String FILE_COLUMN = "_replicator_staged_file";

  /** Memory DuckDB may use before it spills to disk: a merge of a batch of 256 MB fits in it. */
  private static final long MEMORY_LIMIT = 1L << 30;

  /** The longest line of a file of keys (DuckDB's own default). */
  private static final long KEY_LINE_BYTES = 16L << 20;

  /** The largest staged line a batch of unknown longest line may hold (a row of up to this size). */
  private static final long MAX_OBJECT_BYTES = 256L << 20;

  /** DuckDB's reader of a JSONL file of keys with the given columns and types, every other member refused. */
  private static String readJson(Path file, Map<String, String> columnTypes) {
    return readJson(List.of(file), columnTypes, KEY_LINE_BYTES, false);
  }

  /**
   * DuckDB's reader of JSONL files as one table, none of whose lines is longer than {@code
   * objectBytes}; with {@code filename}, each row also names its file.
   */
  private static String readJson(List<Path> files, Map<String, String> columnTypes, long objectBytes,
      boolean filename) {
    StringJoiner columns = new StringJoiner(", ", "{", "}");
    columnTypes.forEach((name, type) -> columns.add(literal(name) + ": " + literal(type)));
    StringJoiner paths = new StringJoiner(", ", "[", "]");
    files.forEach(f -> paths.add(literal(f.toString())));
    return "read_json(" + paths + ", format = 'newline_delimited', columns = " + columns
        + ", maximum_object_size = " + objectBytes + (filename ? ", filename = " + literal(FILE_COLUMN) : "") + ")";
  }

  /** A SQL string literal; used for names and paths in table-function arguments, never for data. */
  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  @Override
  public OptionalLong pendingReload(TargetTable table, String fingerprint) {
    synchronized (shared) {
      try (PreparedStatement ps = conn.prepareStatement(new ReloadStatements(SQL, table, 1).selectPending())) {
        ps.setString(1, table.name());
        ps.setString(2, fingerprint);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
        }
      } catch (SQLException e) {
        throw new WarehouseException("cannot read the reloads of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void startReload(TargetTable table, String fingerprint, long sequence) {
    synchronized (shared) {
      try {
        ReloadStatements sql = new ReloadStatements(SQL, table, 1);
        execute(sql.deletePending(), table.name());
        execute(sql.insertPending(), table.name(), fingerprint, sequence);
      } catch (SQLException e) {
        throw new WarehouseException("cannot record the reload of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void endReload(TargetTable table) {
    synchronized (shared) {
      try {
        execute(new ReloadStatements(SQL, table, 1).deletePending(), table.name());
      } catch (SQLException e) {
        throw new WarehouseException("cannot record the end of the reload of " + table.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Runs a statement with positional parameters. */
  private void execute(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.execute();
    }
  }

  /** The first column of every row of a query with positional parameters. */
  private List<String> queryStrings(String sql, Object... params) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** The first column of the first row of a query with positional parameters; 0 for none or NULL. */
  private long queryLong(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      return queryLong(ps);
    }
  }

  private static long queryLong(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return 0;
      }
      long v = rs.getLong(1);
      return rs.wasNull() ? 0 : v;
    }
  }

  @Override
  public void forEachRow(TargetTable table, RowVisitor visitor) {
    StringJoiner select = new StringJoiner(", ");
    for (Column c : table.schema().columns()) {
      select.add(text(c));
    }
    String sql = "SELECT " + select + " FROM " + SQL.table(table.name())
        + (table.deleteMode() == DeleteMode.SOFT ? " WHERE NOT " + SQL.quote("_is_deleted") : "");
    synchronized (shared) {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        int n = table.schema().columns().size();
        while (rs.next()) {
          visitor.visit(values(rs, n));
        }
      } catch (Exception e) {
        throw new WarehouseException("reading the rows of " + table.name() + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void forEachKeyRecord(TargetTable table, KeyRecordVisitor visitor) {
    forEachKeyRecord(table, null, visitor);
  }

  @Override
  public void forEachKeyRecord(TargetTable table, Collection<String> firstKeyValues, KeyRecordVisitor visitor) {
    synchronized (shared) {
      try {
        int width = sequenceWidth(table);
        StringJoiner rows = new StringJoiner(", ");
        StringJoiner tombstones = new StringJoiner(", ");
        for (Column c : table.schema().columns()) {
          rows.add(text(c));
          tombstones.add(table.schema().keyColumns().contains(c.name()) ? text(c) : "NULL");
        }
        for (int i = 0; i < width; i++) {
          rows.add(SQL.quote(StagedLine.sequenceColumn(i)));
          tombstones.add(SQL.quote(StagedLine.sequenceColumn(i)));
        }
        List<String> values = Warehouse.readsByFirstKey(table, firstKeyValues) ? List.copyOf(firstKeyValues) : List.of();
        String where = "";
        if (!values.isEmpty()) {
          StringJoiner marks = new StringJoiner(", ", " WHERE " + text(table.schema().column(
              table.schema().keyIndexes()[0])) + " IN (", ")");
          values.forEach(v -> marks.add("?"));
          where = marks.toString();
        }
        boolean soft = table.deleteMode() == DeleteMode.SOFT;
        String sql = "SELECT " + rows + ", " + (soft ? SQL.quote("_is_deleted") : "FALSE") + " FROM "
            + SQL.table(table.name()) + where
            + (soft ? "" : " UNION ALL SELECT " + tombstones + ", TRUE FROM " + SQL.table(table.tombstoneName()) + where);
        try (PreparedStatement st = conn.prepareStatement(sql)) {
          for (int copy = 0; copy < (soft ? 1 : 2); copy++) {
            for (int i = 0; i < values.size(); i++) {
              st.setString(copy * values.size() + i + 1, values.get(i));
            }
          }
          try (ResultSet rs = st.executeQuery()) {
            int n = table.schema().columns().size();
            while (rs.next()) {
              long[] sequence = new long[width];
              for (int i = 0; i < width; i++) {
                sequence[i] = rs.getLong(n + 1 + i);
              }
              visitor.visit(values(rs, n), sequence, rs.getBoolean(n + width + 1));
            }
          }
        }
      } catch (Exception e) {
        throw new WarehouseException("reading the keys of " + table.name() + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** A column's value as the canonical text the change model parses (BYTES in base64). */
  private static String text(Column c) {
    String ref = SQL.quote(c.name());
    return c.type() == io.replicator.change.ColumnType.BYTES ? "base64(" + ref + ")" : ref + "::VARCHAR";
  }

  /** The first {@code n} columns of the result's current row, as text. */
  private static String[] values(ResultSet rs, int n) throws SQLException {
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      values[i] = rs.getString(i + 1);
    }
    return values;
  }

  /** A plain JDBC connection to the same database, for queries and tests. */
  public Connection connection() {
    return conn;
  }

  @Override
  public void close() {
    synchronized (OPEN) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        conn.close();
      } catch (SQLException ignored) {
        // Closing a duplicate connection has nothing to report.
      }
      if (--shared.users == 0) {
        OPEN.remove(path);
        try {
          shared.root.close();
        } catch (SQLException ignored) {
          // The database is closed either way.
        }
      }
    }
  }
}
