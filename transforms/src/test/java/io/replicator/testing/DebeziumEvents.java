package io.replicator.testing;

/** Debezium PostgreSQL change events as the connector writes them, for tests that build histories. */
public final class DebeziumEvents {
  private DebeziumEvents() {}

  /**
   * One event without the schema envelope. {@code before} and {@code after} are JSON objects or
   * {@code "null"}; {@code commitLsn} and {@code lsn} make up {@code source.sequence}, which is what
   * orders PostgreSQL events.
   */
  public static String postgres(String table, String op, String before, String after, long commitLsn, long lsn,
      long millis) {
    return "{\"before\":" + before + ",\"after\":" + after + ",\"op\":\"" + op + "\",\"ts_ms\":" + (millis + 5)
        + ",\"source\":{\"connector\":\"postgresql\",\"db\":\"app\",\"schema\":\"public\",\"table\":\"" + table
        + "\",\"lsn\":" + lsn + ",\"sequence\":\"[\\\"" + commitLsn + "\\\",\\\"" + lsn + "\\\"]\",\"ts_ms\":"
        + millis + "}}";
  }

  /** The event inside the envelope the JSON converter writes when schemas are enabled. */
  public static String enveloped(String event) {
    return "{\"schema\":{\"type\":\"struct\"},\"payload\":" + event + "}";
  }

  /** {@code s} as a JSON string. */
  public static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
