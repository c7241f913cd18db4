package io.replicator.source.postgres;

import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.jdbc.Lsn;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A logical replication slot ({@code pgoutput}) and the publication it decodes, on a source
 * PostgreSQL database: made when missing, checked when present, read without consuming
 * ({@code pg_logical_slot_peek_binary_changes}), and confirmed ({@code pg_replication_slot_advance})
 * only once what was read is merged, so a run that fails reads the same changes again.
 *
 * <pre>{@code
 * ReplicationSlot slot = ReplicationSlot.of(source, "replicator", "replicator_pub");
 * ReplicationSlot.State state = slot.prepare(List.of("public.orders"));
 * }</pre>
 */
public final class ReplicationSlot implements Serializable {
  /** Slot and publication names: PostgreSQL's rule for slots (lower case, digits, underscore). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");

  private final JdbcSource source;
  private final String slot;
  private final String publication;
  private final boolean ownsPublication;

  private ReplicationSlot(JdbcSource source, String slot, String publication, boolean ownsPublication) {
    this.source = source;
    this.slot = slot;
    this.publication = publication;
    this.ownsPublication = ownsPublication;
  }

  /**
   * @throws IllegalArgumentException for a name PostgreSQL would refuse as a slot's (lower-case
   *     letters, digits and underscores, at most 63)
   */
  public static ReplicationSlot of(JdbcSource source, String slot, String publication) {
    for (String[] n : new String[][] {{"slot", slot}, {"publication", publication}}) {
      if (n[1] == null || !NAME.matcher(n[1]).matches()) {
        throw new IllegalArgumentException("the " + n[0] + " name '" + n[1] + "' is not usable: lower-case letters,"
            + " digits and underscores, at most 63");
      }
    }
    return new ReplicationSlot(source, slot, publication, false);
  }

  /**
   * The slot with a publication of its own, named after it: tables named later are added to it
   * (where a publication the user names must already hold them).
   */
  public static ReplicationSlot withOwnPublication(JdbcSource source, String slot) {
    of(source, slot, slot); // checks the name
    return new ReplicationSlot(source, slot, slot, true);
  }

  public JdbcSource source() {
    return source;
  }

  public String slot() {
    return slot;
  }

  public String publication() {
    return publication;
  }

  /**
   * Where the slot stands at launch.
   *
   * @param created the slot was made by this call
   * @param confirmed the position the slot is confirmed to: changes committed after it are still
   *     to be read; a table read after this call, with its rows at this position, is exact
   * @param end the WAL position now: a run reads the changes committed before it
   * @param tables the tables, each as {@code schema.table} (the names changes come under), in the
   *     order given
   * @param retainedBytes the WAL the slot keeps on the source's disk (from its restart position)
   */
  public record State(boolean created, long confirmed, long end, List<String> tables, long retainedBytes)
      implements Serializable {}

  /**
   * Checks the server (logical WAL, UTF-8), makes the publication for {@code tables} (as a user
   * names them in SQL) when it is
   * missing (an existing one must hold them all) and the slot when it is missing (an existing one
   * must decode with {@code pgoutput} in this database), and reads the slot's position.
   *
   * @throws SQLException naming what is missing or wrong, and what to do
   */
  public State prepare(List<String> tables) throws SQLException {
    return prepare(tables, false);
  }

  /**
   * As {@link #prepare(List)}; {@code exclusive}: the publication must publish these tables only,
   * as a run that applies only their changes confirms the slot past every table's.
   */
  public State prepare(List<String> tables, boolean exclusive) throws SQLException {
    try (Connection c = source.open(); Statement st = c.createStatement()) {
      String walLevel = single(st, "SHOW wal_level");
      if (!"logical".equals(walLevel)) {
        throw new SQLException(source.displayUrl() + " has wal_level=" + walLevel + "; reading changes from a"
            + " replication slot needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart)");
      }
      String encoding = single(st, "SHOW server_encoding");
      if (!"UTF8".equalsIgnoreCase(encoding)) {
        throw new SQLException(source.displayUrl() + " encodes text as " + encoding + "; replication slots are"
            + " read as UTF-8 only");
      }
      List<String> names = ensurePublication(c, tables, exclusive);
      boolean created = false;
      if (slotInfo(c) == null) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
          ps.setString(1, slot);
          ps.execute();
          created = true;
        } catch (SQLException e) {
          // Two launchers at once: the other one made it.
          if (!"42710".equals(e.getSQLState())) {
            throw new SQLException("cannot create replication slot " + slot + " in " + source.displayUrl() + ": "
                + e.getMessage() + " (the user needs the REPLICATION attribute, and max_replication_slots a free"
                + " slot)", e.getSQLState(), e);
          }
        }
      }
      String[] info = slotInfo(c);
      if (!"pgoutput".equals(info[0])) {
        throw new SQLException("replication slot " + slot + " decodes with " + info[0] + ", not pgoutput: use"
            + " another --slot name");
      }
      if (!c.getCatalog().equals(info[1])) {
        throw new SQLException("replication slot " + slot + " belongs to database " + info[1] + ", not "
            + c.getCatalog() + ": use another --slot name");
      }
      long confirmed = Lsn.parse(info[2]);
      long end = Lsn.parse(single(st, FLUSHED));
      return new State(created, confirmed, Math.max(end, confirmed), List.copyOf(names), retainedBytes(c));
    }
  }

  /** The slot's plugin, database and confirmed position, or null when there is no such slot. */
  private String[] slotInfo(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT plugin, database, confirmed_flush_lsn::text"
        + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3)} : null;
      }
    }
  }

  /** The tables' plain {@code schema.table} names. */
  private List<String> ensurePublication(Connection c, List<String> given, boolean exclusive) throws SQLException {
    List<String> tables = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (String table : given) {
      String[] resolved = resolve(c, table);
      tables.add(resolved[0]);
      names.add(resolved[1]);
    }
    List<String> published = new ArrayList<>();
    boolean exists;
    try (PreparedStatement ps = c.prepareStatement("SELECT p.puballtables, t.schemaname || '.' || t.tablename"
        + " FROM pg_publication p LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname WHERE p.pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        exists = false;
        while (rs.next()) {
          exists = true;
          if (rs.getBoolean(1)) {
            if (exclusive) {
              throw new SQLException(othersMessage("every table"));
            }
            return names;
          }
          if (rs.getString(2) != null) {
            published.add(rs.getString(2));
          }
        }
      }
    }
    if (!exists) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE PUBLICATION " + publication + " FOR TABLE " + String.join(", ", tables));
      } catch (SQLException e) {
        throw new SQLException("cannot create publication " + publication + " for " + tables + ": " + e.getMessage()
            + " (it needs ownership of the tables; or create it as their owner)", e.getSQLState(), e);
      }
      return names;
    }
    List<String> others = new ArrayList<>(published);
    others.removeAll(names);
    if (exclusive && !others.isEmpty()) {
      throw new SQLException(othersMessage(String.join(", ", others)));
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < tables.size(); i++) {
      if (!published.contains(names.get(i))) {
        missing.add(tables.get(i));
      }
    }
    if (!missing.isEmpty() && ownsPublication) {
      // A table named since the publication was made: changes from now on are decoded, and the
      // table's first read (after this) has every change before.
      try (Statement st = c.createStatement()) {
        st.execute("ALTER PUBLICATION " + publication + " ADD TABLE " + String.join(", ", missing));
      } catch (SQLException e) {
        throw new SQLException("cannot add " + missing + " to publication " + publication + ": " + e.getMessage()
            + " (it needs ownership of the tables)", e.getSQLState(), e);
      }
    } else if (!missing.isEmpty()) {
      throw new SQLException("publication " + publication + " does not publish " + String.join(", ", missing)
          + ": ALTER PUBLICATION " + publication + " ADD TABLE " + String.join(", ", missing)
          + ", or name another --publication");
    }
    return names;
  }

  private String othersMessage(String others) {
    return "publication " + publication + " also publishes " + others + ": a run of one table would confirm slot "
        + slot + " past the other tables' changes too. Give the table a slot and publication of its own, or"
        + " follow them all with --tables=... (in runs on a schedule, or with --streaming=true)";
  }

  /**
   * A table's quoted and plain {@code schema.table} names. A table whose updates and deletes
   * would carry no key is refused: publishing it would make PostgreSQL refuse those statements to
   * the source's own users.
   */
  private String[] resolve(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT format('%I.%I', n.nspname, r.relname),"
        + " n.nspname || '.' || r.relname, r.relreplident,"
        + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.oid AND i.indisprimary)"
        + " FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = to_regclass(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("table " + table + " does not exist in " + source.displayUrl()
              + " (or the user cannot see it)");
        }
        String identity = rs.getString(3);
        if ("n".equals(identity) || ("d".equals(identity) && !rs.getBoolean(4))) {
          throw new SQLException("table " + rs.getString(2) + " has no primary key (replica identity "
              + ("n".equals(identity) ? "nothing" : "default") + "), so its updates and deletes would reach the"
              + " slot without a key: add a primary key, or ALTER TABLE " + rs.getString(1)
              + " REPLICA IDENTITY FULL (and name the key columns with --keys)");
        }
        return new String[] {rs.getString(1), rs.getString(2)};
      }
    }
  }

  /**
   * Opens a read of the changes committed before {@code end} that the slot has not been confirmed
   * past. The connection's session prints values as the table reads do (ISO dates, UTC, hex bytes,
   * exact floats); rows stream {@code fetchSize} at a time.
   */
  public ResultSet peek(Connection c, long end, int fetchSize) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SET DateStyle = ISO; SET IntervalStyle = postgres; SET TimeZone = 'UTC';"
          + " SET extra_float_digits = 3; SET bytea_output = hex");
    }
    PreparedStatement ps = c.prepareStatement("SELECT data FROM pg_logical_slot_peek_binary_changes(?, ?::pg_lsn,"
        + " NULL, 'proto_version', '1', 'publication_names', ?)");
    ps.setFetchSize(fetchSize);
    ps.setString(1, slot);
    ps.setString(2, Lsn.text(end));
    ps.setString(3, publication);
    return ps.executeQuery();
  }

  /**
   * Confirms the slot to {@code position}: the source may then drop the WAL before it, and the
   * changes committed before it are not read again. Never moves the slot back.
   */
  public void confirm(long position) throws SQLException {
    whileInUse(() -> advance(position));
  }

  private void advance(long position) throws SQLException {
    try (Connection c = source.open();
        PreparedStatement ps = c.prepareStatement("SELECT pg_replication_slot_advance(?, ?::pg_lsn)"
            + " FROM pg_replication_slots WHERE slot_name = ? AND confirmed_flush_lsn < ?::pg_lsn")) {
      ps.setString(1, slot);
      ps.setString(2, Lsn.text(position));
      ps.setString(3, slot);
      ps.setString(4, Lsn.text(position));
      ps.execute();
    }
  }

  /** Where the slot is confirmed to: the next read starts there. */
  public long confirmedPosition() throws SQLException {
    try (Connection c = source.open();
        PreparedStatement ps = c.prepareStatement("SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
            + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getString(1) == null) {
          throw new SQLException("replication slot " + slot + " is gone");
        }
        return Lsn.parse(rs.getString(1));
      }
    }
  }

  /** The WAL the slot keeps on the source's disk, in bytes: from its restart position to now. */
  public long retainedBytes() throws SQLException {
    try (Connection c = source.open()) {
      return retainedBytes(c);
    }
  }

  private long retainedBytes(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint"
        + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Math.max(0, rs.getLong(1)) : 0;
      }
    }
  }

  /**
   * The flushed WAL position: a read up to it gets every transaction committed so far. Flushed, not
   * written: a peek decodes only up to the flushed WAL, and the slot is confirmed to the position a
   * read was asked for, so a position past it would confirm commits the read never saw.
   */
  private static final String FLUSHED = "SELECT pg_current_wal_flush_lsn()::text";

  /** The WAL position now (see {@link #FLUSHED}): a read up to it gets every transaction committed so far. */
  public long currentPosition() throws SQLException {
    try (Connection c = source.open(); Statement st = c.createStatement()) {
      return Lsn.parse(single(st, FLUSHED));
    }
  }

  /** An action on the slot. */
  interface SlotAction {
    void run() throws SQLException;
  }

  /**
   * Runs {@code action}, again while the slot is in use by another session (a stream's read and
   * its confirmation take turns; PostgreSQL lets one session at a time use a slot), for up to a
   * minute.
   */
  static void whileInUse(SlotAction action) throws SQLException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    while (true) {
      try {
        action.run();
        return;
      } catch (SQLException e) {
        if (!IN_USE.equals(e.getSQLState()) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while the replication slot was in use");
      }
    }
  }

  /** SQLSTATE object_in_use: the slot is active for another session. */
  private static final String IN_USE = "55006";

  /** Drops the slot (a trial's), freeing the WAL it holds. */
  public void drop() throws SQLException {
    whileInUse(this::dropOnce);
  }

  private void dropOnce() throws SQLException {
    try (Connection c = source.open();
        PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      ps.execute();
    }
  }

  private static String single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Override
  public String toString() {
    return "replication slot " + slot + " (publication " + publication + ") in " + source.displayUrl();
  }
}
