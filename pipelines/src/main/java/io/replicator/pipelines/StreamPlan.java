package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.lower;
import static io.replicator.pipelines.OptionChecks.require;
import static io.replicator.pipelines.OptionChecks.splitList;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.InputFormat;
import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.jdbc.SourceTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * A streaming replicate ({@code --streaming}), checked before anything runs: where events come from,
 * which tables they are for and where those tables' schemas come from; one plan per option group,
 * and the rules between groups here.
 *
 * @param tableNames tables named by --tables, as given (maybe schema-qualified); or the one --table
 * @param keys the key of the one table, or null for the source database's primary keys
 * @param schema the one table's schema from --schema, or null to read the tables' from --jdbcUrl
 * @param firstReads how a table new to a replication slot is read whole (no table named), or null
 *     without a slot
 */
record StreamPlan(
    StreamSourcePlan source,
    ChangeInputPlan changes,
    List<String> tableNames,
    List<String> keys,
    TableSchema schema,
    DeleteMode deleteMode,
    JdbcSource jdbc,
    JdbcSourcePlan firstReads,
    StagingPlan staging,
    WarehousePlan warehouse) {

  static StreamPlan from(ReplicateOptions o) {
    if (slotCatchUp(o)) {
      // A run through a slot without --streaming: its own words for what does not go with it.
      OptionChecks.refuse(new String[][] {{"--streamFor", o.getStreamFor()}}, "bounds a stream; without --streaming"
          + " a run reads what the slot holds now and stops");
      OptionChecks.refuse(new String[][] {{"--jdbcTable", o.getJdbcTable()}, {"--jdbcQuery", o.getJdbcQuery()},
          {"--snapshot", o.getSnapshot()}}, "does not go with --tables: a run through a slot reads each table of"
          + " --tables whole by itself the first time (--jdbcTable with --slot follows one table)");
      if (Boolean.TRUE.equals(o.getVerify())) {
        throw new OptionsException("--verify compares one table: run 'verify --table=... --jdbcTable=...' for each"
            + " table after the run");
      }
    }
    OptionChecks.refuse(new String[][] {
        {"--snapshot", o.getSnapshot()}, {"--jdbcTable", o.getJdbcTable()}, {"--jdbcQuery", o.getJdbcQuery()}},
        "loads a snapshot, which a stream does not: reload the table in"
        + " a run without --streaming first, then start the stream (guide: src/site/markdown/streaming.md, snapshot"
        + " to stream)");
    if (!lower(o.getSnapshotMode()).equals("merge")) {
      throw new OptionsException("--snapshotMode applies to snapshot loads, not to --streaming");
    }
    if (Boolean.TRUE.equals(o.getVerify())) {
      throw new OptionsException("--verify compares a finished load; a stream does not finish: run 'verify' on its own");
    }
    if (!lower(o.getBigQueryWriteMethod()).equals("merge")) {
      throw new OptionsException("--bigQueryWriteMethod=" + o.getBigQueryWriteMethod()
          + " is not available with --streaming; streams are merged (--bigQueryWriteMethod=merge)");
    }
    ChangeInputPlan changes = ChangeInputPlan.from(o, InputFormat.DEBEZIUM);
    if (changes.format() == InputFormat.DEAD_LETTERS) {
      throw new OptionsException("--changeFormat=dead-letters reads dead letters again in a batch run: drop"
          + " --streaming");
    }
    JdbcSource jdbc = JdbcSourcePlan.source(o);
    StreamSourcePlan source = StreamSourcePlan.from(o, changes.changes(), SlotPlan.of(o, jdbc));
    JdbcSourcePlan firstReads = null;
    if (source.kind() == StreamSourcePlan.Kind.SLOT) {
      firstReads = JdbcSourcePlan.firstReads(o, jdbc);
    } else {
      OptionChecks.refuse(new String[][] {{"--maxThroughput", o.getMaxThroughput()},
          {"--jdbcPartitions", o.getJdbcPartitions() == null ? null : o.getJdbcPartitions().toString()}},
          "applies to reading a table whole, which a stream does only from a replication slot (--slot): reload"
          + " the table in a run without --streaming first (guide: src/site/markdown/streaming.md, snapshot to"
          + " stream)");
    }
    DeleteMode deleteMode = TablePlan.deleteMode(o.getDeletes());

    String tables = blankToNull(o.getTables());
    String table = blankToNull(o.getTable());
    if ((tables == null) == (table == null)) {
      throw new OptionsException(tables == null
          ? "--streaming needs the tables to replicate: --tables (with --jdbcUrl for their schemas) or --table"
              + " (with --schema and --keys)"
          : "give --tables or --table, not both");
    }
    List<String> tableNames = tables != null ? splitList(tables) : List.of(table);
    if (changes.format() == InputFormat.NATIVE && tableNames.size() != 1) {
      throw new OptionsException("--changeFormat=native lines name no table: stream one table (--table), or use"
          + " Debezium events");
    }
    String schemaFile = blankToNull(o.getSchema());
    if (source.kind() == StreamSourcePlan.Kind.SLOT && schemaFile != null) {
      throw new OptionsException("--slot reads the tables' schemas from --jdbcUrl; leave out --schema");
    }
    List<String> keys;
    TableSchema schema;
    if (schemaFile != null) {
      if (tables != null) {
        throw new OptionsException("--schema describes one table (--table); the schemas of --tables come from --jdbcUrl");
      }
      keys = TablePlan.parseKeys(require(o.getKeys(), "--keys", "the key columns of the --schema, e.g. --keys=id"));
      schema = TablePlan.readSchema(schemaFile, keys);
    } else {
      if (jdbc == null) {
        throw new OptionsException(tables != null
            ? "--tables needs --jdbcUrl: the tables' columns and keys are read from the source database"
            : "--table needs --schema and --keys, or --jdbcUrl to read them from the source database");
      }
      keys = blankToNull(o.getKeys()) == null ? null : TablePlan.parseKeys(o.getKeys());
      if (keys != null && (tableNames.size() > 1 || tableNames.get(0).contains("*") || tableNames.get(0).contains("?"))) {
        throw new OptionsException("--keys names the key of one table; the keys of --tables are their primary keys");
      }
      schema = null;
    }
    for (String name : tableNames) {
      if (!name.contains("*") && !name.contains("?")) {
        wrap(() -> {
          TargetTable.checkName(targetName(name));
          return name;
        }, tables != null ? "--tables" : "--table");
      }
    }
    StagingPlan staging = StagingPlan.from(o);
    WarehousePlan warehouse = WarehousePlan.from(o, null, staging.staging());
    return new StreamPlan(source, changes, tableNames, keys, schema, deleteMode, jdbc, firstReads, staging, warehouse);
  }

  static boolean streaming(ReplicateOptions o) {
    return o.as(StreamingOptions.class).isStreaming();
  }

  /**
   * A run without --streaming that follows several tables through one replication slot: it reads
   * what the slot holds now, as a stream's poll does, merges and confirms it, and stops. The
   * stream's own machinery, bounded; run on a schedule.
   */
  static boolean slotCatchUp(ReplicateOptions o) {
    return !streaming(o) && blankToNull(o.getSlot()) != null && blankToNull(o.getTables()) != null;
  }

  /** Refuses the stream options in a run without --streaming, rather than ignoring them. */
  static void refuseStreamOptions(ReplicateOptions o) {
    OptionChecks.refuse(new String[][] {
        {"--kafkaBootstrapServers", o.getKafkaBootstrapServers()}, {"--kafkaTopics", o.getKafkaTopics()},
        {"--kafkaTopicPattern", o.getKafkaTopicPattern()}, {"--pubsubSubscription", o.getPubsubSubscription()},
        {"--tables", o.getTables()}, {"--streamFor", o.getStreamFor()}}, "applies to a stream: add --streaming");
  }

  /** The target table of a source table name: its last part. */
  static String targetName(String sourceName) {
    return sourceName.substring(sourceName.lastIndexOf('.') + 1);
  }

  /** The target tables with their schemas, and the source names of those named otherwise. */
  record Tables(List<TargetTable> targets, Map<String, String> sourceNames) {}

  /**
   * Target tables with their schemas: from --schema, or read from the source database, where
   * names with {@code *} or {@code ?} stand for every table they match.
   */
  Tables tables() {
    if (schema != null) {
      return new Tables(List.of(new TargetTable(tableNames.get(0), schema, deleteMode)), Map.of());
    }
    List<TargetTable> targets = new ArrayList<>();
    Map<String, String> sourceNames = new LinkedHashMap<>();
    Map<String, String> seen = new LinkedHashMap<>();
    try (Connection c = jdbc.open()) {
      for (String given : tableNames) {
        List<String> names = given.contains("*") || given.contains("?") ? SourceTable.matching(c, given) : List.of(given);
        if (names.isEmpty()) {
          throw new OptionsException("--tables: '" + given + "' matches no table in " + jdbc.displayUrl());
        }
        for (String name : names) {
          String target = targetName(name);
          String before = seen.put(target.toLowerCase(java.util.Locale.ROOT), name);
          if (before != null) {
            throw new OptionsException("--tables: " + before + " and " + name + " would both replicate into '" + target
                + "'; replicate them in separate runs, each into its own warehouse dataset");
          }
          targets.add(new TargetTable(target, SourceTable.ofTable(c, jdbc, name, keys).schema(), deleteMode));
          if (name.contains(".")) {
            sourceNames.put(target, name);
          }
        }
      }
    } catch (SQLException e) {
      throw new SourceException(e.getMessage());
    }
    return new Tables(targets, sourceNames);
  }
}
