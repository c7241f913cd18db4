package io.replicator.pipelines;

import static io.replicator.pipelines.ReplicatePlan.blankToNull;
import static io.replicator.pipelines.ReplicatePlan.lower;
import static io.replicator.pipelines.ReplicatePlan.require;
import static io.replicator.pipelines.ReplicatePlan.splitList;
import static io.replicator.pipelines.ReplicatePlan.trimSlash;
import static io.replicator.pipelines.ReplicatePlan.wrap;

import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.jdbc.JdbcSource;
import io.replicator.source.jdbc.SourceTable;
import io.replicator.warehouse.WarehouseSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.StreamingOptions;
import org.joda.time.Duration;

/**
 * The options of a streaming replicate ({@code --streaming}), checked before anything runs: where
 * events come from, which tables they are for and where those tables' schemas come from.
 */
final class StreamPlan {
  /** Where the events come from. */
  enum Source { KAFKA, PUBSUB, FILES }

  final Source source;
  final String kafkaBootstrapServers;
  final List<String> kafkaTopics;
  final String kafkaTopicPattern;
  final String kafkaGroup;
  final String pubsubSubscription;
  final String changes;
  final Duration watchInterval;
  final Duration loadInterval;
  final Duration streamFor;
  final boolean nativeLines;
  final String unavailableValue;
  final DeleteMode deleteMode;
  /** Tables named by --tables, as given (maybe schema-qualified); or the one --table. */
  final List<String> tableNames;
  final List<String> keys;
  final TableSchema schema;
  final JdbcSource jdbc;
  final String staging;
  final String deadLetter;
  final WarehouseSpec warehouse;
  final long batchMaxBytes;
  final long batchMaxRows;
  final boolean keepStaging;

  private StreamPlan(ReplicateOptions o) {
    for (String[] option : new String[][] {
        {"--snapshot", o.getSnapshot()}, {"--jdbcTable", o.getJdbcTable()}, {"--jdbcQuery", o.getJdbcQuery()},
        {"--maxThroughput", o.getMaxThroughput()}}) {
      if (blankToNull(option[1]) != null) {
        throw new OptionsException(option[0] + " loads a snapshot, which a stream does not: reload the table in a"
            + " run without --streaming first, then start the stream (guide: src/site/markdown/streaming.md, snapshot to stream)");
      }
    }
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

    this.kafkaBootstrapServers = blankToNull(o.getKafkaBootstrapServers());
    this.changes = blankToNull(o.getChanges());
    String topics = blankToNull(o.getKafkaTopics());
    this.kafkaTopicPattern = blankToNull(o.getKafkaTopicPattern());
    this.pubsubSubscription = blankToNull(o.getPubsubSubscription());
    int sources = (kafkaBootstrapServers == null ? 0 : 1) + (pubsubSubscription == null ? 0 : 1) + (changes == null ? 0 : 1);
    if (sources != 1) {
      throw new OptionsException(sources == 0
          ? "--streaming needs a source: --kafkaBootstrapServers (with --kafkaTopics or --kafkaTopicPattern),"
              + " --pubsubSubscription, or --changes (a file pattern to watch)"
          : "give one source: --kafkaBootstrapServers, --pubsubSubscription or --changes");
    }
    if (kafkaBootstrapServers != null) {
      if ((topics == null) == (kafkaTopicPattern == null)) {
        throw new OptionsException("--kafkaBootstrapServers needs one of --kafkaTopics (a list) or --kafkaTopicPattern"
            + " (a regular expression)");
      }
      if (kafkaTopicPattern != null) {
        wrap(() -> java.util.regex.Pattern.compile(kafkaTopicPattern), "--kafkaTopicPattern");
      }
      this.source = Source.KAFKA;
    } else if (pubsubSubscription != null) {
      wrap(() -> io.replicator.stream.ReadPubsubEvents.from(pubsubSubscription), "--pubsubSubscription");
      this.source = Source.PUBSUB;
    } else {
      if (topics != null || kafkaTopicPattern != null) {
        throw new OptionsException((topics != null ? "--kafkaTopics" : "--kafkaTopicPattern")
            + " needs --kafkaBootstrapServers");
      }
      this.source = Source.FILES;
    }
    this.kafkaTopics = topics == null ? List.of() : splitList(topics);
    this.kafkaGroup = require(o.getKafkaGroup(), "--kafkaGroup", "the Kafka consumer group progress is committed to");
    this.watchInterval = DurationOption.parse(o.getWatchInterval(), "--watchInterval");
    this.loadInterval = DurationOption.parse(o.getLoadInterval(), "--loadInterval");
    this.streamFor = blankToNull(o.getStreamFor()) == null ? null : DurationOption.parse(o.getStreamFor(), "--streamFor");
    this.nativeLines = switch (lower(o.getChangeFormat())) {
      case "native" -> true;
      case "debezium", "" -> false;
      default -> throw new OptionsException("--changeFormat='" + o.getChangeFormat() + "': expected native or debezium");
    };
    this.deleteMode = ReplicatePlan.deleteMode(o.getDeletes());
    this.unavailableValue = require(o.getUnavailableValue(), "--unavailableValue", "the connector's placeholder");

    String tables = blankToNull(o.getTables());
    String table = blankToNull(o.getTable());
    if ((tables == null) == (table == null)) {
      throw new OptionsException(tables == null
          ? "--streaming needs the tables to replicate: --tables (with --jdbcUrl for their schemas) or --table"
              + " (with --schema and --keys)"
          : "give --tables or --table, not both");
    }
    this.tableNames = tables != null ? splitList(tables) : List.of(table);
    if (nativeLines && tableNames.size() != 1) {
      throw new OptionsException("--changeFormat=native lines name no table: stream one table (--table), or use"
          + " Debezium events");
    }
    this.jdbc = blankToNull(o.getJdbcUrl()) == null ? null : ReplicatePlan.jdbcSource(o);
    String schemaFile = blankToNull(o.getSchema());
    if (schemaFile != null) {
      if (tables != null) {
        throw new OptionsException("--schema describes one table (--table); the schemas of --tables come from --jdbcUrl");
      }
      this.keys = ReplicatePlan.parseKeys(require(o.getKeys(), "--keys", "the key columns of the --schema, e.g. --keys=id"));
      this.schema = ReplicatePlan.readSchema(schemaFile, keys);
    } else {
      if (jdbc == null) {
        throw new OptionsException(tables != null
            ? "--tables needs --jdbcUrl: the tables' columns and keys are read from the source database"
            : "--table needs --schema and --keys, or --jdbcUrl to read them from the source database");
      }
      this.keys = blankToNull(o.getKeys()) == null ? null : ReplicatePlan.parseKeys(o.getKeys());
      if (keys != null && (tableNames.size() > 1 || tableNames.get(0).contains("*") || tableNames.get(0).contains("?"))) {
        throw new OptionsException("--keys names the key of one table; the keys of --tables are their primary keys");
      }
      this.schema = null;
    }
    for (String name : tableNames) {
      if (!name.contains("*") && !name.contains("?")) {
        wrap(() -> {
          TargetTable.checkName(targetName(name));
          return name;
        }, tables != null ? "--tables" : "--table");
      }
    }

    this.staging = trimSlash(require(o.getStaging(), "--staging", "a directory for staged batches"));
    this.deadLetter = blankToNull(o.getDeadLetter()) == null ? staging + "/dead-letters" : trimSlash(o.getDeadLetter());
    this.warehouse = ReplicatePlan.warehouseSpec(o, null, false);
    ReplicatePlan.checkWarehouseReach(o, warehouse, staging);
    this.batchMaxBytes = ReplicatePlan.batchMaxBytes(o);
    this.batchMaxRows = ReplicatePlan.batchMaxRows(o);
    this.keepStaging = Boolean.TRUE.equals(o.getKeepStaging());
  }

  static boolean streaming(ReplicateOptions o) {
    return o.as(StreamingOptions.class).isStreaming();
  }

  static StreamPlan from(ReplicateOptions o) {
    return new StreamPlan(o);
  }

  /** Refuses the stream options in a run without --streaming, rather than ignoring them. */
  static void refuseStreamOptions(ReplicateOptions o) {
    for (String[] option : new String[][] {
        {"--kafkaBootstrapServers", o.getKafkaBootstrapServers()}, {"--kafkaTopics", o.getKafkaTopics()},
        {"--kafkaTopicPattern", o.getKafkaTopicPattern()}, {"--pubsubSubscription", o.getPubsubSubscription()},
        {"--tables", o.getTables()},
        {"--streamFor", o.getStreamFor()}}) {
      if (blankToNull(option[1]) != null) {
        throw new OptionsException(option[0] + " applies to a stream: add --streaming");
      }
    }
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

  /** What the stream reads, for the launch message. */
  String describeSource() {
    return switch (source) {
      case KAFKA -> "Kafka " + (kafkaTopicPattern != null ? "topics matching " + kafkaTopicPattern
          : String.join(",", kafkaTopics)) + " (group " + kafkaGroup + ")";
      case PUBSUB -> "Pub/Sub " + pubsubSubscription;
      case FILES -> "files arriving at " + changes;
    };
  }
}
