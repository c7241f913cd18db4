package io.replicator.warehouse.bigquery;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.services.bigquery.model.TableFieldSchema;
import com.google.zetasql.Analyzer;
import com.google.zetasql.AnalyzerOptions;
import com.google.zetasql.LanguageOptions;
import com.google.zetasql.Parser;
import com.google.zetasql.SimpleCatalog;
import com.google.zetasql.SimpleColumn;
import com.google.zetasql.SimpleTable;
import com.google.zetasql.SqlException;
import com.google.zetasql.Type;
import com.google.zetasql.TypeFactory;
import com.google.zetasql.ZetaSQLBuiltinFunctionOptions;
import com.google.zetasql.ZetaSQLType.TypeKind;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedAddColumnAction;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedAlterAction;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedAlterTableStmt;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedColumnDefinition;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedCreateTableAsSelectStmt;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedCreateTableStmt;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedOutputColumn;
import com.google.zetasql.resolvedast.ResolvedNodes.ResolvedStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google's own SQL front end (ZetaSQL, the analyzer BigQuery's GoogleSQL comes from) over the
 * scripts the BigQuery target sends: a script must parse as a whole, and each of its statements
 * must resolve — every table, column, type and function — against the tables created before it.
 * Tables come from the scripts' own DDL (CREATE TABLE, CREATE TEMP TABLE AS, ALTER TABLE ADD
 * COLUMN) or, for those a load job makes, from the schema the target gives BigQuery. Script
 * variables are analyzed as query parameters of their declared types.
 */
final class BigQuerySqlAnalyzer {
  private static final Pattern DECLARE = Pattern.compile("DECLARE (.+?) (BOOL|INT64|ARRAY<STRING>) DEFAULT .*",
      Pattern.DOTALL);
  private static final Pattern SKIPPED = Pattern.compile(
      "(BEGIN TRANSACTION|COMMIT TRANSACTION|ROLLBACK TRANSACTION|END IF|END|RAISE USING MESSAGE = .*)", Pattern.DOTALL);

  private final LanguageOptions language = new LanguageOptions().enableMaximumLanguageFeatures();
  private final AnalyzerOptions options = new AnalyzerOptions();
  private final SimpleCatalog root = new SimpleCatalog("bigquery");
  private final List<String> variables = new ArrayList<>();
  private int statements;

  BigQuerySqlAnalyzer() {
    language.setSupportsAllStatementKinds();
    options.setLanguageOptions(language);
    root.addZetaSQLFunctionsAndTypes(new ZetaSQLBuiltinFunctionOptions(language));
    // The parameters the target binds (BigQueryJobs.query), with the types it gives them.
    for (String name : List.of("table_name", "batch_id", "batch_ids", "fingerprint", "key_columns", "delete_mode",
        "first_keys")) {
      options.addQueryParameter(name, simple(TypeKind.TYPE_STRING));
    }
    options.addQueryParameter("rows_staged", simple(TypeKind.TYPE_INT64));
    options.addQueryParameter("sequence", simple(TypeKind.TYPE_INT64));
    options.addQueryParameter("max_delete_percent", simple(TypeKind.TYPE_DOUBLE));
  }

  /** How many statements were analyzed. */
  int statements() {
    return statements;
  }

  /** A table a load job creates, with the schema the target gives BigQuery, at {@code path}. */
  void addLoadedTable(List<String> path, com.google.api.services.bigquery.model.TableSchema schema) {
    Map<String, Type> columns = new LinkedHashMap<>();
    for (TableFieldSchema f : schema.getFields()) {
      Type type = type(f.getType());
      columns.put(f.getName(), "REPEATED".equals(f.getMode()) ? TypeFactory.createArrayType(type) : type);
    }
    define(path, columns);
  }

  /**
   * Everything a fake BigQuery received, in order, after the tables it was given as made by
   * someone else: tables created through the API join the catalog, and every query job's SQL is
   * analyzed with the parameters the job declares.
   */
  void replay(FakeBigQuery fake) {
    fake.madeOutside.forEach(this::addTable);
    for (FakeBigQuery.Request r : fake.requests) {
      if (r.method().equals("POST") && r.path().endsWith("/tables") && r.body() != null) {
        addTable(r.body());
      } else if (r.isJobInsert() && r.body().path("configuration").has("query")) {
        JsonNode query = r.body().path("configuration").path("query");
        for (JsonNode p : query.path("queryParameters")) {
          options.addQueryParameter(p.path("name").asText(), type(p.path("parameterType").path("type").asText()));
        }
        // The one known difference: the analyzer refuses max_staleness, which BigQuery accepts.
        String sql = query.path("query").asText().replaceAll("\nOPTIONS \\(max_staleness = INTERVAL '[^']*' YEAR TO SECOND\\)", "")
            .strip();
        script(sql.endsWith(";") ? sql + "\n" : sql + ";\n");
      }
    }
  }

  /** A table resource as the API has it (tableReference, schema). */
  private void addTable(JsonNode resource) {
    JsonNode ref = resource.path("tableReference");
    List<TableFieldSchema> fields = new ArrayList<>();
    resource.path("schema").path("fields").forEach(f -> fields.add(new TableFieldSchema()
        .setName(f.path("name").asText()).setType(f.path("type").asText()).setMode(f.path("mode").asText())));
    addLoadedTable(List.of(ref.path("projectId").asText(), ref.path("datasetId").asText(), ref.path("tableId").asText()),
        new com.google.api.services.bigquery.model.TableSchema().setFields(fields));
  }

  /** Parses {@code sql} as one script, then analyzes each statement in order; throws on the first that fails. */
  void script(String sql) {
    try {
      Parser.parseScript(sql, language);
    } catch (SqlException e) {
      throw new AssertionError("does not parse: " + e.getMessage() + "\n" + sql, e);
    }
    for (String piece : sql.split(";\n")) {
      statement(piece.strip());
    }
  }

  private void statement(String sql) {
    while (true) {
      if (sql.startsWith("BEGIN\n")) {
        sql = sql.substring(6).strip();
      } else if (sql.startsWith("EXCEPTION WHEN ERROR THEN\n")) {
        sql = sql.substring(26).strip();
      } else if (sql.startsWith("IF ")) {
        int then = sql.indexOf(" THEN\n");
        analyze("SELECT " + sql.substring(3, then));
        sql = sql.substring(then + 6).strip();
      } else {
        break;
      }
    }
    if (sql.isEmpty() || SKIPPED.matcher(sql).matches()) {
      return;
    }
    Matcher declare = DECLARE.matcher(sql);
    if (declare.matches()) {
      Type type = switch (declare.group(2)) {
        case "BOOL" -> simple(TypeKind.TYPE_BOOL);
        case "INT64" -> simple(TypeKind.TYPE_INT64);
        default -> TypeFactory.createArrayType(simple(TypeKind.TYPE_STRING));
      };
      for (String name : declare.group(1).split(",")) {
        variables.add(name.strip());
        options.addQueryParameter(name.strip(), type);
      }
      return;
    }
    if (sql.startsWith("SET ")) {
      analyze("SELECT " + sql.substring(sql.indexOf(" = ") + 3));
      return;
    }
    ResolvedStatement resolved = analyze(sql);
    if (resolved instanceof ResolvedCreateTableStmt create) {
      if (find(create.getNamePath()) == null) { // IF NOT EXISTS: a table made before keeps its columns
        Map<String, Type> columns = new LinkedHashMap<>();
        for (ResolvedColumnDefinition c : create.getColumnDefinitionList()) {
          columns.put(c.getName(), c.getType());
        }
        define(create.getNamePath(), columns);
      }
    } else if (resolved instanceof ResolvedCreateTableAsSelectStmt create) {
      Map<String, Type> columns = new LinkedHashMap<>();
      for (ResolvedOutputColumn c : create.getOutputColumnList()) {
        columns.put(c.getName(), c.getColumn().getType());
      }
      define(create.getNamePath(), columns);
    } else if (resolved instanceof ResolvedAlterTableStmt alter) {
      SimpleTable table = find(alter.getNamePath());
      for (ResolvedAlterAction action : alter.getAlterActionList()) {
        if (action instanceof ResolvedAddColumnAction add && table.findColumnByName(add.getColumnDefinition().getName()) == null) {
          table.addSimpleColumn(add.getColumnDefinition().getName(), add.getColumnDefinition().getType());
        }
      }
    }
  }

  private ResolvedStatement analyze(String sql) {
    String bound = withParameters(sql);
    statements++;
    try {
      return Analyzer.analyzeStatement(bound, options, root);
    } catch (SqlException e) {
      throw new AssertionError(e.getMessage() + "\n" + bound, e);
    }
  }

  /** The script variables in {@code sql} written as parameters; quoted names and text left alone. */
  private String withParameters(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char ch = sql.charAt(i);
      if (quote != 0) {
        out.append(ch);
        if (ch == '\\') {
          out.append(sql.charAt(++i));
        } else if (ch == quote) {
          quote = 0;
        }
      } else if (ch == '`' || ch == '\'') {
        quote = ch;
        out.append(ch);
      } else if (Character.isLetter(ch) || ch == '_') {
        int end = i;
        while (end < sql.length() && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_')) {
          end++;
        }
        String word = sql.substring(i, end);
        // Not a variable: a parameter already, a field (x.name), an alias (AS name).
        boolean name = i > 0 && (sql.charAt(i - 1) == '@' || sql.charAt(i - 1) == '.')
            || sql.substring(0, i).stripTrailing().endsWith(" AS");
        out.append(!name && variables.contains(word) ? "@" + word : word);
        i = end - 1;
      } else {
        out.append(ch);
      }
    }
    return out.toString();
  }

  private SimpleTable find(List<String> path) {
    SimpleCatalog catalog = root;
    for (String part : path.subList(0, path.size() - 1)) {
      catalog = child(catalog, part);
      if (catalog == null) {
        return null;
      }
    }
    return table(catalog, path.get(path.size() - 1));
  }

  private void define(List<String> path, Map<String, Type> columns) {
    SimpleCatalog catalog = root;
    for (String part : path.subList(0, path.size() - 1)) {
      SimpleCatalog next = child(catalog, part);
      catalog = next != null ? next : catalog.addNewSimpleCatalog(part);
    }
    String name = path.get(path.size() - 1);
    if (table(catalog, name) != null) {
      catalog.removeSimpleTable(name);
    }
    List<SimpleColumn> list = new ArrayList<>();
    columns.forEach((column, type) -> list.add(new SimpleColumn(name, column, type)));
    catalog.addSimpleTable(name, new SimpleTable(name, list));
  }

  private static SimpleCatalog child(SimpleCatalog catalog, String name) {
    return catalog.getCatalogList().stream().filter(c -> c.getFullName().equalsIgnoreCase(name)).findFirst()
        .orElse(null);
  }

  private static SimpleTable table(SimpleCatalog catalog, String name) {
    return catalog.getTableList().stream().filter(t -> t.getName().equalsIgnoreCase(name)).findFirst().orElse(null);
  }

  /** A column type as the API names it, legacy names included. */
  private static Type type(String name) {
    return simple(switch (name) {
      case "STRING" -> TypeKind.TYPE_STRING;
      case "BYTES" -> TypeKind.TYPE_BYTES;
      case "INT64", "INTEGER" -> TypeKind.TYPE_INT64;
      case "FLOAT64", "FLOAT" -> TypeKind.TYPE_DOUBLE;
      case "NUMERIC" -> TypeKind.TYPE_NUMERIC;
      case "BIGNUMERIC" -> TypeKind.TYPE_BIGNUMERIC;
      case "BOOL", "BOOLEAN" -> TypeKind.TYPE_BOOL;
      case "DATE" -> TypeKind.TYPE_DATE;
      case "DATETIME" -> TypeKind.TYPE_DATETIME;
      case "TIME" -> TypeKind.TYPE_TIME;
      case "TIMESTAMP" -> TypeKind.TYPE_TIMESTAMP;
      case "JSON" -> TypeKind.TYPE_JSON;
      case "GEOGRAPHY" -> TypeKind.TYPE_GEOGRAPHY;
      default -> throw new IllegalArgumentException("no ZetaSQL type for " + name);
    });
  }

  private static Type simple(TypeKind kind) {
    return TypeFactory.createSimpleType(kind);
  }
}
