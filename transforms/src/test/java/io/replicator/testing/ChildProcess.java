package io.replicator.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server the tests run as a child process, with a classpath of its own: started with its output
 * in a log file, waited for until it answers (or its log is the failure's message), and stopped
 * on {@link #close}.
 */
public final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command} (after {@code java} and its heap bound) and waits up to {@code timeout}
   * for {@code ready}.
   *
   * @throws IllegalStateException with the process's log when it dies or does not get ready in time
   */
  public static ChildProcess startJava(String name, List<String> arguments, Path log, BooleanSupplier ready,
      Duration timeout) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(java(), "-Xmx512m"));
    command.addAll(arguments);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ChildProcess child = new ChildProcess(name, p, log);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.getAsBoolean()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        child.close();
        throw new IllegalStateException(name + " did not start: " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    return child;
  }

  /** The java executable the tests run on. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** A loopback port free now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Whether {@code url} answers HTTP at all (with {@code status}, unless it is 0). */
  public static boolean answersHttp(String url, int status) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      int code = c.getResponseCode();
      return status == 0 || code == status;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether something accepts connections on the loopback {@code port}. */
  public static boolean listens(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (log " + log + ")";
  }
}
