package io.replicator.warehouse.bigquery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.replicator.change.StagedLine;
import io.replicator.merge.ReloadStatements;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A BigQuery REST endpoint on loopback that records every request and answers the calls the
 * target makes: tables get/insert/delete, jobs insert/get and query results. It does not run SQL:
 * it registers the tables a script creates, keeps which batches a merge script applied (a merge
 * inserts every staged row), answers the applied-batch check from that, counts a loaded file's
 * lines as the staging table's rows, and fails calls or jobs when told to. It keeps every loaded
 * line, so a target's state after the applied batches can be computed ({@link #appliedState}, the
 * merge's rule: each key's lines in sequence order) and the highest-sequence, pending-reload and
 * (when asked) key-record queries answered from it.
 */
public final class FakeBigQuery implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CREATE = Pattern.compile(
      "CREATE TABLE IF NOT EXISTS `(?:[^`\\\\]|\\\\.)*`\\.`(?:[^`\\\\]|\\\\.)*`\\.`((?:[^`\\\\]|\\\\.)*)` \\(([^;]*?)\\)\\s*(?:\\n|;)");
  private static final Pattern FROM_TABLE = Pattern.compile("FROM `[^`]*`\\.`[^`]*`\\.`([^`]*)`");
  private static final Pattern NAMED_COLUMN = Pattern.compile(" AS `((?:[^`\\\\]|\\\\.)*)`");
  private static final Pattern INSERT_RELOAD = Pattern.compile(
      "INSERT INTO `[^`]*`\\.`[^`]*`\\.`" + ReloadStatements.RELOADS + "`");
  private static final Pattern DELETE_RELOAD = Pattern.compile(
      "DELETE FROM `[^`]*`\\.`[^`]*`\\.`" + ReloadStatements.RELOADS + "`");
  private static final Pattern COLUMN = Pattern.compile("^\\s*`?((?:[^`\\\\ ]|\\\\.)+)`? (\\w+)");

  /** One request as received: method, decoded path, query string and JSON body (or null). */
  public record Request(String method, String path, String query, JsonNode body) {
    public String jobId() {
      return body == null ? path.substring(path.lastIndexOf('/') + 1) : body.path("jobReference").path("jobId").asText();
    }

    public boolean isJobInsert() {
      return method.equals("POST") && path.endsWith("/jobs");
    }
  }

  /** A failure to answer with: an HTTP status and reason, or (for jobs) the job's errorResult. */
  record Failure(Predicate<Request> when, int status, String reason, String message, int[] remaining) {}

  private final HttpServer server;
  final List<Request> requests = new ArrayList<>();
  public final Map<String, ObjectNode> tables = new LinkedHashMap<>();
  /** The tables {@link #addTable} made, as if someone had: no request of the target created them. */
  final List<ObjectNode> madeOutside = new ArrayList<>();
  final Map<String, ObjectNode> jobs = new LinkedHashMap<>();
  final Map<String, List<List<String>>> results = new LinkedHashMap<>();
  public final Set<String> appliedBatches = new HashSet<>();
  /** Per table a load job wrote: the files it holds now. */
  final Map<String, List<String>> loadedFiles = new LinkedHashMap<>();
  /** One line a load job read into {@code table}, as its file held it then. */
  public record LoadedLine(String table, JsonNode line) {}

  /** Every line load jobs read, in order (staged files are removed after their merge). */
  public final List<LoadedLine> loadedLines = new ArrayList<>();
  /** Per target: its recorded key columns and delete mode. */
  public final Map<String, List<String>> contracts = new LinkedHashMap<>();
  /** Per table, the reload a script recorded as started and none has ended: fingerprint, sequence. */
  private final Map<String, String[]> pendingReloads = new LinkedHashMap<>();
  /** What a reload's removal would answer: live rows, rows older than the reload. */
  long[] reloadRows = {100, 60};
  private final List<Failure> httpFailures = new ArrayList<>();
  private final List<Failure> jobFailures = new ArrayList<>();
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
  boolean datasetExists = true;
  /** What a query reading the target's rows answers, two rows a page. */
  public List<List<String>> targetRows = List.of();
  private boolean keyRecordsFromAppliedLines;
  /** What a partition-bounds query answers: low, high, rows without a value. */
  List<String> bounds = List.of("2024-05-01", "2024-05-03", "0");

  public FakeBigQuery() throws IOException {
    // Answers go out at once rather than after the delayed-ACK wait of small writes.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** Answers the next {@code times} requests matching {@code when} with an HTTP error. */
  void failHttp(Predicate<Request> when, int status, String reason, int times) {
    httpFailures.add(new Failure(when, status, reason, "injected " + reason, new int[] {times}));
  }

  /** Ends the next {@code times} submitted jobs matching {@code when} with this error. */
  public synchronized void failJobs(Predicate<Request> when, String reason, String message, int times) {
    jobFailures.add(new Failure(when, 0, reason, message, new int[] {times}));
  }

  /** What a reload's removal answers from now on: the target's live rows, and those older than the reload. */
  public synchronized void reloadsFind(long liveRows, long olderRows) {
    reloadRows = new long[] {liveRows, olderRows};
  }

  /**
   * The staged lines of {@code table}'s batches that a merge or reload applied, oldest load first:
   * what the target would hold after them, taken in sequence order.
   */
  public synchronized List<JsonNode> appliedLines(String table) {
    List<JsonNode> applied = new ArrayList<>();
    for (LoadedLine l : loadedLines) {
      if (l.table().startsWith("_staging_" + table + "_")
          && appliedBatches.contains(table + "/" + l.line().path("_batch_id").asText())) {
        applied.add(l.line());
      }
    }
    return applied;
  }

  /** One key's state after the applied lines: its row (null once deleted) and the line that set it (its sequence). */
  public record KeyState(Map<String, JsonNode> row, JsonNode line) {}

  /**
   * What {@code table} holds after every applied line ({@link #appliedLines}) taken in sequence
   * order, by key (the key columns' JSON, comma-separated): a partial row keeps the columns it
   * leaves unchanged, a delete leaves a tombstone (a null row). Metadata columns left out.
   */
  public synchronized Map<String, KeyState> appliedState(String table) {
    List<String> key = keyColumns(table);
    List<JsonNode> lines = appliedLines(table);
    Comparator<JsonNode> order = Comparator.comparingLong((JsonNode n) -> n.path(StagedLine.sequenceColumn(0)).asLong());
    for (int i = 1; i < 4; i++) {
      String part = StagedLine.sequenceColumn(i);
      order = order.thenComparingLong(n -> n.path(part).asLong());
    }
    lines.sort(order.thenComparingLong(n -> n.path(StagedLine.STEP).asLong()));
    Map<String, KeyState> state = new TreeMap<>();
    for (JsonNode line : lines) {
      String k = key.stream().map(c -> line.get(c).toString()).collect(Collectors.joining(","));
      if (line.path("_op").asText().equals("DELETE")) {
        state.put(k, new KeyState(null, line));
        continue;
      }
      Set<String> unchanged = new HashSet<>();
      line.path(StagedLine.UNCHANGED).forEach(c -> unchanged.add(c.asText()));
      KeyState before = state.get(k);
      Map<String, JsonNode> row = new TreeMap<>(unchanged.isEmpty() || before == null || before.row() == null
          ? Map.of() : before.row());
      line.fields().forEachRemaining(f -> {
        if (!f.getKey().startsWith("_") && !unchanged.contains(f.getKey())) {
          row.put(f.getKey(), f.getValue());
        }
      });
      state.put(k, new KeyState(row, line));
    }
    return state;
  }

  private List<String> keyColumns(String table) {
    List<String> key = new ArrayList<>();
    json(contracts.get(table).get(0)).forEach(k -> key.add(k.asText()));
    return key;
  }

  /** The live rows of {@link #appliedState}, by key. */
  public Map<String, Map<String, JsonNode>> appliedRows(String table) {
    Map<String, Map<String, JsonNode>> rows = new TreeMap<>();
    appliedState(table).forEach((k, s) -> {
      if (s.row() != null) {
        rows.put(k, s.row());
      }
    });
    return rows;
  }

  /**
   * Answers the target's key records ({@code ... AS _deleted} queries) from {@link #appliedState}
   * instead of {@link #targetRows}: for runs that read the target's rows back (key moves completed).
   */
  public synchronized void answerKeyRecordsFromAppliedLines() {
    keyRecordsFromAppliedLines = true;
  }

  /** The key-record query's rows: each column's text, the sequence parts, and whether a tombstone. */
  private List<List<String>> keyRecords(String sql, Map<String, String> params) {
    Matcher from = FROM_TABLE.matcher(sql);
    from.find();
    String table = from.group(1);
    String select = sql.substring(0, sql.indexOf(" AS _deleted"));
    List<String> columns = new ArrayList<>();
    Matcher named = NAMED_COLUMN.matcher(select);
    while (named.find()) {
      columns.add(named.group(1).replace("\\`", "`").replace("\\\\", "\\"));
    }
    int width = 0;
    while (select.contains("`" + StagedLine.sequenceColumn(width) + "`")) {
      width++;
    }
    Set<String> firstKeys = null;
    if (params.containsKey("first_keys")) {
      firstKeys = new HashSet<>();
      for (JsonNode v : json(params.get("first_keys"))) {
        firstKeys.add(v.asText());
      }
    }
    List<String> key = keyColumns(table);
    List<List<String>> rows = new ArrayList<>();
    for (KeyState s : appliedState(table).values()) {
      List<String> r = new ArrayList<>();
      for (String c : columns) {
        JsonNode v = s.row() != null ? s.row().get(c) : key.contains(c) ? s.line().get(c) : null;
        r.add(v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.toString());
      }
      if (firstKeys != null && !firstKeys.contains(r.get(0))) {
        continue;
      }
      for (int i = 0; i < width; i++) {
        r.add(s.line().path(StagedLine.sequenceColumn(i)).asText("0"));
      }
      r.add(Boolean.toString(s.row() == null));
      rows.add(r);
    }
    return rows;
  }

  /** Forgets the job failures still to come. */
  public synchronized void clearJobFailures() {
    jobFailures.clear();
  }

  public synchronized List<Request> jobInserts() {
    return requests.stream().filter(Request::isJobInsert).toList();
  }

  /** Registers a table with these columns (name, type pairs), as if someone had created it. */
  synchronized void addTable(String name, String... columns) {
    ObjectNode t = table(name);
    ArrayNode fields = t.putObject("schema").putArray("fields");
    for (int i = 0; i < columns.length; i += 2) {
      fields.addObject().put("name", columns[i]).put("type", columns[i + 1]);
    }
    madeOutside.add(t.deepCopy());
  }

  private ObjectNode table(String name) {
    ObjectNode t = JSON.createObjectNode();
    t.putObject("tableReference").put("projectId", "p").put("datasetId", "d").put("tableId", name);
    t.put("creationTime", Long.toString(clock.incrementAndGet()));
    t.put("numRows", "0");
    tables.put(name, t);
    return t;
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    try {
      serve(ex);
    } catch (RuntimeException | IOException e) {
      // A bug in the fake: say so in the answer rather than drop the connection.
      error(ex, 400, "fakeBroken", "the fake failed: " + e);
    }
  }

  private void serve(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
    byte[] raw = ex.getRequestBody().readAllBytes();
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes();
    }
    JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
    Request req = new Request(method, path, ex.getRequestURI().getRawQuery(), body);
    requests.add(req);
    for (Failure f : httpFailures) {
      if (f.remaining()[0] > 0 && f.when().test(req)) {
        f.remaining()[0]--;
        error(ex, f.status(), f.reason(), f.message());
        return;
      }
    }
    String rest = path.replaceFirst("^/bigquery/v2/projects/[^/]+/", "");
    if (rest.startsWith("datasets/")) {
      if (!datasetExists) {
        error(ex, 404, "notFound", "Not found: Dataset p:d");
        return;
      }
      String tablePart = rest.replaceFirst("^datasets/[^/]+/tables/?", "");
      if (rest.matches("datasets/[^/]+") && method.equals("GET")) {
        ObjectNode d = JSON.createObjectNode().put("location", "EU");
        d.putObject("datasetReference").put("projectId", "p").put("datasetId", rest.substring("datasets/".length()));
        send(ex, 200, d);
      } else if (method.equals("GET")) {
        ObjectNode t = tables.get(tablePart);
        if (t == null) {
          error(ex, 404, "notFound", "Not found: Table p:d." + tablePart);
        } else {
          send(ex, 200, t);
        }
      } else if (method.equals("POST")) {
        String name = body.path("tableReference").path("tableId").asText();
        if (tables.containsKey(name)) {
          error(ex, 409, "duplicate", "Already Exists: Table p:d." + name);
        } else {
          ObjectNode t = table(name);
          t.setAll((ObjectNode) body);
          send(ex, 200, t);
        }
      } else if (method.equals("DELETE")) {
        if (tables.remove(tablePart) == null) {
          error(ex, 404, "notFound", "Not found: Table p:d." + tablePart);
        } else {
          ex.sendResponseHeaders(204, -1);
          ex.close();
        }
      }
    } else if (rest.equals("jobs") && method.equals("POST")) {
      insertJob(ex, req);
    } else if (rest.startsWith("jobs/") && method.equals("GET")) {
      ObjectNode job = jobs.get(rest.substring("jobs/".length()));
      if (job == null) {
        error(ex, 404, "notFound", "Not found: Job " + rest);
      } else {
        send(ex, 200, job);
      }
    } else if (rest.startsWith("queries/") && method.equals("GET")) {
      String id = rest.substring("queries/".length());
      ObjectNode r = JSON.createObjectNode();
      r.put("kind", "bigquery#getQueryResultsResponse").put("jobComplete", true);
      r.putObject("jobReference").put("projectId", "p").put("jobId", id);
      ArrayNode rows = r.putArray("rows");
      List<List<String>> all = results.getOrDefault(id, List.of());
      Matcher page = Pattern.compile("pageToken=(\\d+)").matcher(req.query() == null ? "" : req.query());
      int from = page.find() ? Integer.parseInt(page.group(1)) : 0;
      int to = Math.min(all.size(), from + 2);
      if (to < all.size()) {
        r.put("pageToken", Integer.toString(to));
      }
      r.put("totalRows", Integer.toString(all.size()));
      for (List<String> row : all.subList(from, to)) {
        ArrayNode cells = rows.addObject().putArray("f");
        for (String v : row) {
          if (v == null) {
            cells.addObject().putNull("v");
          } else {
            cells.addObject().put("v", v);
          }
        }
      }
      send(ex, 200, r);
    } else {
      error(ex, 400, "invalid", "the fake does not serve " + method + " " + path);
    }
  }

  private void insertJob(HttpExchange ex, Request req) throws IOException {
    String id = req.jobId();
    if (jobs.containsKey(id)) {
      error(ex, 409, "duplicate", "Already Exists: Job p:US." + id);
      return;
    }
    ObjectNode job = ((ObjectNode) req.body()).deepCopy();
    job.putObject("status").put("state", "DONE");
    jobs.put(id, job);
    for (Failure f : jobFailures) {
      if (f.remaining()[0] > 0 && f.when().test(req)) {
        f.remaining()[0]--;
        ((ObjectNode) job.get("status")).putObject("errorResult").put("reason", f.reason()).put("message", f.message());
        send(ex, 200, job);
        return;
      }
    }
    JsonNode config = job.path("configuration");
    if (config.has("load")) {
      JsonNode load = config.get("load");
      String dest = load.path("destinationTable").path("tableId").asText();
      ObjectNode t = tables.get(dest);
      if (t == null) {
        ((ObjectNode) job.get("status")).putObject("errorResult").put("reason", "notFound")
            .put("message", "Not found: Table p:d." + dest);
      } else {
        List<String> files = loadedFiles.computeIfAbsent(dest, k -> new ArrayList<>());
        if (load.path("writeDisposition").asText().equals("WRITE_TRUNCATE")) {
          files.clear();
        }
        load.path("sourceUris").forEach(u -> files.add(u.asText()));
        load.path("sourceUris").forEach(u -> lines(List.of(u.asText()))
            .forEach(l -> loadedLines.add(new LoadedLine(dest, json(l)))));
        t.put("numRows", Long.toString(lines(files).size()));
      }
    } else {
      runQuery(id, config.path("query"), job);
    }
    send(ex, 200, job);
  }

  private void runQuery(String id, JsonNode query, ObjectNode job) {
    String sql = query.path("query").asText();
    Map<String, String> params = new LinkedHashMap<>();
    for (JsonNode p : query.path("queryParameters")) {
      params.put(p.path("name").asText(), p.path("parameterValue").path("value").asText());
    }
    ObjectNode stats = job.putObject("statistics");
    stats.put("totalSlotMs", "250");
    stats.putObject("query").put("totalBytesProcessed", "10485760");
    Matcher create = CREATE.matcher(sql);
    while (create.find()) {
      String name = create.group(1).replace("\\`", "`").replace("\\\\", "\\");
      if (!tables.containsKey(name)) {
        ObjectNode t = table(name);
        ArrayNode fields = t.putObject("schema").putArray("fields");
        for (String line : create.group(2).split(",\\s*\\n|, ")) {
          Matcher c = COLUMN.matcher(line);
          if (c.find()) {
            fields.addObject().put("name", c.group(1).replace("\\`", "`")).put("type", c.group(2));
          }
        }
      }
    }
    String batch = params.get("batch_id");
    List<List<String>> rows = new ArrayList<>();
    if (sql.contains("DELETE FROM") && sql.contains("_replicator_tables")) {
      contracts.remove(params.get("table_name"));
    }
    if (sql.contains("INSERT INTO") && sql.contains("_replicator_tables")) {
      contracts.put(params.get("table_name"), List.of(params.get("key_columns"), params.get("delete_mode")));
    }
    if (DELETE_RELOAD.matcher(sql).find()) {
      pendingReloads.remove(params.get("table_name"));
    }
    if (INSERT_RELOAD.matcher(sql).find()) {
      pendingReloads.put(params.get("table_name"), new String[] {params.get("fingerprint"), params.get("sequence")});
    }
    if (sql.contains("kept_rows")) {
      rows.add(applyReload(sql, params));
    } else if (sql.startsWith("SELECT key_columns, delete_mode")) {
      if (contracts.containsKey(params.get("table_name"))) {
        rows.add(contracts.get(params.get("table_name")));
      }
    } else if (sql.contains("IN UNNEST(SPLIT(@batch_ids")) {
      for (String b : params.get("batch_ids").split(",")) {
        if (appliedBatches.contains(params.get("table_name") + "/" + b)) {
          rows.add(List.of(b));
        }
      }
    } else if (sql.contains("already_applied")) {
      boolean applied = !appliedBatches.add(params.get("table_name") + "/" + batch);
      String n = applied ? "0" : params.get("rows_staged");
      rows.add(List.of(Boolean.toString(applied), n, "0", "0", n, "[]"));
    } else if (sql.startsWith("SELECT COUNT(*)") && sql.contains("_replicator_batches")) {
      rows.add(List.of(appliedBatches.contains(params.get("table_name") + "/" + batch) ? "1" : "0"));
    } else if (sql.startsWith("SELECT sequence_num FROM") && sql.contains(ReloadStatements.RELOADS)) {
      String[] pending = pendingReloads.get(params.get("table_name"));
      if (pending != null && pending[0].equals(params.get("fingerprint"))) {
        rows.add(List.of(pending[1]));
      }
    } else if (sql.startsWith("SELECT MAX(")) {
      Matcher from = FROM_TABLE.matcher(sql);
      long max = from.find() ? appliedLines(from.group(1)).stream()
          .mapToLong(l -> l.path(StagedLine.sequenceColumn(0)).asLong()).max().orElse(0) : 0;
      rows.add(java.util.Arrays.asList(max == 0 ? null : Long.toString(max)));
    } else if (sql.contains("AS low")) {
      rows.add(bounds);
    } else if (keyRecordsFromAppliedLines && sql.contains(" AS _deleted FROM ")) {
      rows.addAll(keyRecords(sql, params));
    } else if (sql.startsWith("SELECT CAST(")) {
      rows.addAll(targetRows);
    }
    results.put(job.path("jobReference").path("jobId").asText(), rows);
  }

  /**
   * A reload script: refused when {@link #reloadRows} would remove more than the bound allows;
   * otherwise every batch in the loaded staging table is applied (its rows counted as inserted),
   * and the kept table's keys counted as kept.
   */
  private List<String> applyReload(String sql, Map<String, String> params) {
    List<String> staged = new ArrayList<>();
    long kept = 0;
    for (Map.Entry<String, List<String>> e : loadedFiles.entrySet()) {
      if (sql.contains("`" + e.getKey() + "`")) {
        if (e.getKey().contains("_kept_")) {
          kept = lines(e.getValue()).size();
        } else {
          staged.addAll(lines(e.getValue()));
        }
      }
    }
    boolean removes = sql.contains("SET older_rows");
    boolean refused = removes
        && reloadRows[1] * 100 > Double.parseDouble(params.get("max_delete_percent")) * reloadRows[0];
    List<String> fresh = new ArrayList<>();
    for (String line : staged) {
      String id = line.replaceFirst(".*\"_batch_id\":\"([0-9a-f]+)\".*", "$1");
      if (!appliedBatches.contains(params.get("table_name") + "/" + id)) {
        fresh.add(id);
      }
    }
    if (!refused) {
      fresh.forEach(id -> appliedBatches.add(params.get("table_name") + "/" + id));
    }
    String n = Integer.toString(fresh.size());
    return List.of(Boolean.toString(refused), n, "0", "0", n, Long.toString(reloadRows[0]),
        Long.toString(removes ? reloadRows[1] : 0), Long.toString(kept), "[]");
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> lines(List<String> files) {
    List<String> all = new ArrayList<>();
    for (String f : files) {
      try {
        all.addAll(Files.readAllLines(Path.of(f.replaceFirst("^file://", ""))));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return all;
  }

  private static void error(HttpExchange ex, int status, String reason, String message) throws IOException {
    ObjectNode e = JSON.createObjectNode();
    ObjectNode err = e.putObject("error").put("code", status).put("message", message);
    err.putArray("errors").addObject().put("reason", reason).put("message", message).put("domain", "global");
    send(ex, status, e);
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
