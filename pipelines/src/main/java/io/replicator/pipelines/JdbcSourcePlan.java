package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.common.Throughput;
import io.replicator.source.jdbc.JdbcSource;

/**
 * The {@link JdbcSourceOptions} and {@link ThroughputOptions} of a snapshot read from a source
 * database, checked: the database, what to read (a table or a query), in how many partitions and
 * how fast.
 */
record JdbcSourcePlan(
    JdbcSource source, String table, String query, Integer partitions, int fetchSize, double maxThroughput) {

  /** The read the options ask for, or null when they name no source database. */
  static <O extends JdbcSourceOptions & ThroughputOptions> JdbcSourcePlan from(O o) {
    String table = blankToNull(o.getJdbcTable());
    String query = blankToNull(o.getJdbcQuery());
    double maxThroughput = maxThroughput(o);
    if (blankToNull(o.getJdbcUrl()) == null) {
      if (table != null || query != null) {
        throw new OptionsException((table != null ? "--jdbcTable" : "--jdbcQuery") + " needs --jdbcUrl");
      }
      if (maxThroughput > 0) {
        throw new OptionsException("--maxThroughput bounds reading a source database; give --jdbcUrl, or leave it out");
      }
      return null;
    }
    JdbcSource source = source(o);
    if ((table == null) == (query == null)) {
      throw new OptionsException("--jdbcUrl needs one of --jdbcTable (a table) or --jdbcQuery (a query)");
    }
    return new JdbcSourcePlan(source, table, query, partitions(o), fetchSize(o), maxThroughput);
  }

  /**
   * How a stream from a replication slot reads each of its tables whole the first time: in the
   * options' partitions, fetch size and {@code --maxThroughput}, like a batch run's read. The
   * table is given later ({@link #ofTable}).
   */
  static <O extends JdbcSourceOptions & ThroughputOptions> JdbcSourcePlan firstReads(O o, JdbcSource source) {
    return new JdbcSourcePlan(source, null, null, partitions(o), fetchSize(o), maxThroughput(o));
  }

  /** The same read, of {@code sourceTable}. */
  JdbcSourcePlan ofTable(String sourceTable) {
    return new JdbcSourcePlan(source, sourceTable, null, partitions, fetchSize, maxThroughput);
  }

  /** {@code --maxThroughput} in bytes per second, or 0 for no bound. */
  private static double maxThroughput(ThroughputOptions o) {
    return blankToNull(o.getMaxThroughput()) == null ? 0
        : wrap(() -> Throughput.bytesPerSecond(o.getMaxThroughput()), "--maxThroughput");
  }

  private static Integer partitions(JdbcSourceOptions o) {
    Integer partitions = o.getJdbcPartitions();
    if (partitions != null && (partitions < 1 || partitions > 10_000)) {
      throw new OptionsException("--jdbcPartitions must be between 1 and 10000, got " + partitions);
    }
    return partitions;
  }

  private static int fetchSize(JdbcSourceOptions o) {
    int fetchSize = o.getJdbcFetchSize() == null ? 10_000 : o.getJdbcFetchSize();
    if (fetchSize < 1) {
      throw new OptionsException("--jdbcFetchSize must be at least 1, got " + fetchSize);
    }
    return fetchSize;
  }

  /** The database of {@code --jdbcUrl}, its user and where its password is; null without a URL. */
  static JdbcSource source(JdbcSourceOptions o) {
    if (blankToNull(o.getJdbcUrl()) == null) {
      return null;
    }
    JdbcSource source = wrap(() -> JdbcSource.of(o.getJdbcUrl().trim(), blankToNull(o.getJdbcUser())), "--jdbcUrl");
    String env = blankToNull(o.getJdbcPasswordEnv());
    String file = blankToNull(o.getJdbcPasswordFile());
    if (env != null && file != null) {
      throw new OptionsException("give the password one way: --jdbcPasswordEnv or --jdbcPasswordFile");
    }
    return env != null ? source.withPasswordEnv(env) : file != null ? source.withPasswordFile(file) : source;
  }
}
