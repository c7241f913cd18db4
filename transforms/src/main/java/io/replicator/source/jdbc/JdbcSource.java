package io.replicator.source.jdbc;

import io.replicator.common.JdbcDrivers;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;

/**
 * How to reach a source database: a JDBC URL, a user, and where the password is — an environment
 * variable or a file (any Beam filesystem path), read where the connection is opened. The password
 * itself is never held here, so it never lands in a serialised pipeline, job metadata or a log.
 *
 * <pre>{@code
 * JdbcSource source = JdbcSource.of("jdbc:postgresql://db:5432/app", "reader").withPasswordEnv("PGPASSWORD");
 * }</pre>
 */
public final class JdbcSource implements Serializable {
  private static final Pattern SECRET_PARAMETER =
      Pattern.compile("(?i)(password|sslpassword|secret)=[^&;]*");

  private final String url;
  private final String user;
  private final String passwordEnv;
  private final String passwordFile;

  private JdbcSource(String url, String user, String passwordEnv, String passwordFile) {
    this.url = url;
    this.user = user;
    this.passwordEnv = passwordEnv;
    this.passwordFile = passwordFile;
  }

  public static JdbcSource of(String url, String user) {
    if (url == null || !url.startsWith("jdbc:")) {
      throw new IllegalArgumentException("--jdbcUrl must be a JDBC URL (jdbc:postgresql://host:port/db), got '"
          + redact(String.valueOf(url)) + "'");
    }
    return new JdbcSource(url, user, null, null);
  }

  /** The password is in this environment variable of the process that connects. */
  public JdbcSource withPasswordEnv(String variable) {
    return new JdbcSource(url, user, variable, passwordFile);
  }

  /** The password is the first line of this file (local, gs://, s3://). */
  public JdbcSource withPasswordFile(String path) {
    return new JdbcSource(url, user, passwordEnv, path);
  }

  /** The URL with any password parameter masked: what messages and logs may show. */
  public String displayUrl() {
    return redact(url);
  }

  static String redact(String text) {
    return SECRET_PARAMETER.matcher(text).replaceAll("$1=***");
  }

  public boolean isPostgres() {
    return url.startsWith("jdbc:postgresql:");
  }

  /** Opens a connection; a failure says which database and why, without the password. */
  public Connection open() throws SQLException {
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    String password = password();
    if (password != null) {
      props.setProperty("password", password);
    }
    if (isPostgres()) {
      props.setProperty("ApplicationName", "replicator");
      props.setProperty("connectTimeout", "10");
    }
    try {
      return JdbcDrivers.connect(url, props);
    } catch (SQLException e) {
      String reason = redact(String.valueOf(e.getMessage()));
      if (password != null) {
        reason = reason.replace(password, "***");
      }
      throw new SQLException("cannot connect to " + displayUrl() + (user == null ? "" : " as " + user) + ": " + reason,
          e.getSQLState());
    }
  }

  private String password() throws SQLException {
    if (passwordEnv != null) {
      String value = System.getenv(passwordEnv);
      if (value == null) {
        throw new SQLException("--jdbcPasswordEnv=" + passwordEnv + ": the environment variable is not set");
      }
      return value;
    }
    if (passwordFile != null) {
      try (InputStream in = Channels.newInputStream(
          FileSystems.open(FileSystems.matchSingleFileSpec(passwordFile).resourceId()))) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return text.lines().findFirst().orElse("");
      } catch (IOException e) {
        throw new SQLException("--jdbcPasswordFile=" + passwordFile + ": cannot read the file (" + e.getMessage() + ")");
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return displayUrl() + (user == null ? "" : " as " + user);
  }
}
