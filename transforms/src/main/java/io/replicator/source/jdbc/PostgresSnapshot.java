package io.replicator.source.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * A consistent point to read a PostgreSQL table at: a snapshot exported by a transaction this
 * object keeps open, which every partition reader imports ({@code SET TRANSACTION SNAPSHOT}), and
 * the WAL position read just before it.
 *
 * <p>Why the position before: every transaction the snapshot does not see commits after that
 * position, so its changes, ordered by commit LSN, sort after the snapshot's rows; a transaction
 * committing between the two reads is both in the snapshot and after the position, and applying
 * it again from a change stream is harmless.
 */
public final class PostgresSnapshot implements AutoCloseable {
  private static final Pattern SNAPSHOT_ID = Pattern.compile("[0-9A-Fa-f-]+");

  private final Connection holder;
  private final String id;
  private final long lsn;

  private PostgresSnapshot(Connection holder, String id, long lsn) {
    this.holder = holder;
    this.id = id;
    this.lsn = lsn;
  }

  public static PostgresSnapshot export(JdbcSource source) throws SQLException {
    long lsn = currentLsn(source);
    Connection holder = source.open();
    try {
      holder.setAutoCommit(false);
      holder.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      holder.setReadOnly(true);
      try (Statement st = holder.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
        rs.next();
        return new PostgresSnapshot(holder, rs.getString(1), lsn);
      }
    } catch (SQLException e) {
      holder.close();
      throw e;
    }
  }

  /** {@code 16/B374D848} as the 64-bit WAL position it names. */
  /**
   * The WAL insert position now. Rows read after it are at least this new, so it is a correct
   * sequence for reads that each take their own snapshot later: a change before it is already in
   * the rows, a change after it sorts after them.
   */
  public static long currentLsn(JdbcSource source) throws SQLException {
    try (Connection c = source.open(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Lsn.parse(rs.getString(1));
    }
  }

  /** Makes {@code reader}'s transaction see this snapshot; it must not have run anything yet. */
  static void importInto(Connection reader, String snapshotId) throws SQLException {
    if (!SNAPSHOT_ID.matcher(snapshotId).matches()) {
      throw new SQLException("'" + snapshotId + "' is not a PostgreSQL snapshot id");
    }
    reader.setAutoCommit(false);
    reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (Statement st = reader.createStatement()) {
      st.execute("SET TRANSACTION SNAPSHOT '" + snapshotId + "'");
    }
  }

  public String id() {
    return id;
  }

  /** The WAL position before the snapshot: the sequence its rows get. */
  public long lsn() {
    return lsn;
  }

  @Override
  public void close() {
    try {
      holder.rollback();
      holder.close();
    } catch (SQLException ignored) {
      // The transaction ends with the connection either way.
    }
  }
}
