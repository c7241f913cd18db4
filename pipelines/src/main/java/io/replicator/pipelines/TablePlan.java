package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.firstLine;
import static io.replicator.pipelines.OptionChecks.lower;
import static io.replicator.pipelines.OptionChecks.require;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;

/**
 * The {@link TableOptions} of one target table, checked: its name, its key (null: the source
 * database's primary key), its schema (null until read from the source database) and how deletes
 * land.
 */
record TablePlan(String name, List<String> keys, TableSchema schema, DeleteMode deleteMode) {

  /**
   * @param fromDatabase whether a source database can give the key and schema the options leave out
   */
  static TablePlan from(TableOptions o, boolean fromDatabase) {
    String name = require(o.getTable(), "--table", "the target table name");
    DeleteMode deleteMode = deleteMode(o.getDeletes());
    String schemaFile = blankToNull(o.getSchema());
    if (!fromDatabase) {
      require(o.getKeys(), "--keys", "the key columns, e.g. --keys=id");
      require(schemaFile, "--schema", "a BigQuery JSON schema file");
    }
    List<String> keys = blankToNull(o.getKeys()) == null ? null : parseKeys(o.getKeys());
    if (schemaFile != null) {
      require(o.getKeys(), "--keys", "the key columns of the --schema, e.g. --keys=id");
    }
    TablePlan plan = new TablePlan(name, keys, schemaFile == null ? null : readSchema(schemaFile, keys), deleteMode);
    wrap(() -> {
      TargetTable.checkName(name);
      return plan.schema() == null ? null : plan.target();
    }, "--table");
    return plan;
  }

  /** The target table; its schema must be known. */
  TargetTable target() {
    if (schema == null) {
      throw new IllegalStateException("the schema of " + name + " is read from the source database at launch");
    }
    return new TargetTable(name, schema, deleteMode);
  }

  /** This table with the schema read from the source database. */
  TablePlan withSchema(TableSchema fromSource) {
    return new TablePlan(name, keys, fromSource, deleteMode);
  }

  static DeleteMode deleteMode(String value) {
    return switch (lower(value)) {
      case "hard" -> DeleteMode.HARD;
      case "soft" -> DeleteMode.SOFT;
      default -> throw new OptionsException("--deletes='" + value + "': expected hard or soft");
    };
  }

  static List<String> parseKeys(String keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys.split(",")) {
      if (k.isBlank()) {
        throw new OptionsException("--keys='" + keys + "' has an empty column name");
      }
      out.add(k.trim());
    }
    return out;
  }

  static TableSchema readSchema(String path, List<String> keys) {
    String json;
    try (InputStream in = Channels.newInputStream(
        FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new OptionsException("--schema=" + path + ": cannot read the file (" + firstLine(e) + ")");
    }
    try {
      return TableSchema.fromBigQueryJson(json, keys);
    } catch (IllegalArgumentException e) {
      throw new OptionsException("--schema=" + path + " with --keys=" + String.join(",", keys) + ": " + e.getMessage());
    }
  }
}
