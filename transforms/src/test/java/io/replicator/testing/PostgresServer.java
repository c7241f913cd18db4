package io.replicator.testing;

import io.replicator.source.jdbc.JdbcSource;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server for tests: Debian's binaries, a new cluster in a temporary directory, bound
 * to 127.0.0.1 on a free port, password authentication on. PostgreSQL refuses to run as root, so
 * as root it runs as the {@code postgres} user. One server per JVM, stopped when the JVM exits.
 */
public final class PostgresServer {
  public static final String USER = "postgres";
  public static final String PASSWORD = "s3cret-for-tests";

  private static PostgresServer instance;

  private final Path dir;
  private final int port;
  private final Path bin;

  private PostgresServer(Path dir, int port, Path bin) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
  }

  /** The running server, started on first use. */
  public static synchronized PostgresServer get() {
    if (instance == null) {
      try {
        instance = start();
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("cannot start PostgreSQL for the tests: " + e.getMessage(), e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
    }
    return instance;
  }

  private static Path findBin() {
    List<Path> candidates = new ArrayList<>();
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl"))).forEach(candidates::add);
    } catch (IOException e) {
      // no Debian PostgreSQL: reported below
    }
    candidates.sort(Comparator.reverseOrder());
    if (candidates.isEmpty()) {
      throw new IllegalStateException("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin):"
          + " apt-get install -y postgresql (./run-tests.sh does it)");
    }
    return candidates.get(0);
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static PostgresServer start() throws IOException, InterruptedException {
    Path bin = findBin();
    Path dir = Files.createTempDirectory("replicator-pg-");
    Path data = dir.resolve("data");
    Path pwfile = dir.resolve("pw");
    Files.writeString(pwfile, PASSWORD + "\n", StandardCharsets.UTF_8);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    if (isRoot()) {
      run(List.of("chown", "-R", USER, dir.toString()));
    }
    run(asServerUser(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
        "--auth=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")));
    run(asServerUser(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("log").toString(),
        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=logical"
            + " -c max_connections=50 -c shared_buffers=64MB",
        "-w", "-t", "60", "start")));
    return new PostgresServer(dir, port, bin);
  }

  private static List<String> asServerUser(List<String> command) {
    if (!isRoot()) {
      return command;
    }
    List<String> out = new ArrayList<>(List.of("runuser", "-u", USER, "--"));
    out.addAll(command);
    return out;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    File log = File.createTempFile("pg-cmd", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + Files.readString(log.toPath()));
    }
  }

  private void stop() {
    try {
      run(asServerUser(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
          "-m", "immediate", "stop")));
    } catch (IOException | InterruptedException e) {
      // the JVM is exiting
    }
  }

  public int port() {
    return port;
  }

  /** A JDBC URL of a database on this server. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(url(database), USER, PASSWORD);
  }

  /** Runs {@code statements} in {@code database}. */
  public void execute(String database, String statements) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement()) {
      st.execute(statements);
    }
  }

  /** The database as the pipelines reach it: its URL, and the password in a file under {@code dir}. */
  public JdbcSource source(String database, Path dir) throws IOException {
    Path password = Files.writeString(dir.resolve("pw"), PASSWORD);
    return JdbcSource.of(url(database), USER).withPasswordFile(password.toString());
  }

  /** A new, empty database. */
  public String createDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name);
      st.execute("CREATE DATABASE " + name);
    }
    return name;
  }
}
