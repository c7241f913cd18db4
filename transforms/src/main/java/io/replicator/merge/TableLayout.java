package io.replicator.merge;

import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TableSchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * How a BigQuery target is laid out: its partition column (DATE, DATETIME, TIMESTAMP by day, or
 * INT64 by range) and its clustering columns (the key's when none are given).
 *
 * @param partitionField the partition column, or null for an unpartitioned table
 * @param range the integer range of an INT64 partition column, else null
 * @param clusterFields the clustering columns; empty to cluster by the key
 * @param partitionFieldImmutable the partition column never changes for a key, so a MERGE may read
 *     only the partitions a batch touches (always true when the column is part of the key)
 */
public record TableLayout(
    String partitionField, IntegerRange range, List<String> clusterFields, boolean partitionFieldImmutable)
    implements Serializable {

  /** {@code RANGE_BUCKET} bounds of an integer partition column. */
  public record IntegerRange(long start, long end, long interval) implements Serializable {
    /** Parses {@code START,END,INTERVAL}. */
    public static IntegerRange parse(String text) {
      String[] parts = text.split(",");
      try {
        if (parts.length == 3) {
          IntegerRange r = new IntegerRange(
              Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim()), Long.parseLong(parts[2].trim()));
          if (r.interval > 0 && r.end > r.start) {
            return r;
          }
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      throw new IllegalArgumentException(
          "--partitionRange='" + text + "' is not START,END,INTERVAL with END > START and INTERVAL > 0");
    }
  }

  /** BigQuery can cluster by these types only. */
  private static final Set<ColumnType> CLUSTERABLE = EnumSet.of(
      ColumnType.STRING, ColumnType.BYTES, ColumnType.INT64, ColumnType.NUMERIC, ColumnType.BIGNUMERIC,
      ColumnType.BOOL, ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP);

  public TableLayout {
    clusterFields = List.copyOf(clusterFields);
  }

  public static final TableLayout DEFAULT = new TableLayout(null, null, List.of(), false);

  /** The type of the partition column in {@code schema}; checks the layout fits the schema. */
  public void check(TableSchema schema) {
    if (partitionField != null) {
      Integer i = schema.indexOf(partitionField);
      if (i == null) {
        throw new IllegalArgumentException("--partitionField=" + partitionField + " is not a column of the table");
      }
      ColumnType type = schema.column(i).type();
      if (type == ColumnType.INT64 && range == null) {
        throw new IllegalArgumentException(
            "--partitionField=" + partitionField + " is INT64, so it needs --partitionRange=START,END,INTERVAL");
      }
      if (type != ColumnType.INT64 && type != ColumnType.DATE && type != ColumnType.DATETIME
          && type != ColumnType.TIMESTAMP) {
        throw new IllegalArgumentException("--partitionField=" + partitionField + " is " + type
            + "; a partition column must be DATE, DATETIME, TIMESTAMP or INT64");
      }
    } else if (range != null) {
      throw new IllegalArgumentException("--partitionRange needs --partitionField");
    }
    if (clusterFields.size() > 4) {
      throw new IllegalArgumentException("--clusterFields names " + clusterFields.size() + " columns; BigQuery allows 4");
    }
    for (String f : clusterFields) {
      Integer i = schema.indexOf(f);
      if (i == null) {
        throw new IllegalArgumentException("--clusterFields names '" + f + "', which is not a column of the table");
      }
      if (!CLUSTERABLE.contains(schema.column(i).type())) {
        throw new IllegalArgumentException("--clusterFields names '" + f + "', a " + schema.column(i).type()
            + " column; BigQuery cannot cluster by that type");
      }
    }
  }

  /** The partition column's type, or null when unpartitioned. */
  public ColumnType partitionType(TableSchema schema) {
    return partitionField == null ? null : schema.column(schema.indexOf(partitionField)).type();
  }

  /**
   * Whether a MERGE may be restricted to the batch's partitions: only when a key's row cannot move
   * between partitions.
   */
  public boolean prunesMerge(TableSchema schema) {
    return partitionField != null
        && (partitionFieldImmutable || schema.keyColumns().contains(partitionField));
  }

  /** The clustering columns: the given ones, else the first four clusterable key columns. */
  public List<String> clustering(TableSchema schema) {
    return clusterFields.isEmpty() ? keyClustering(schema) : clusterFields;
  }

  /** The first four key columns BigQuery can cluster by. */
  public static List<String> keyClustering(TableSchema schema) {
    List<String> keys = new ArrayList<>();
    for (String k : schema.keyColumns()) {
      Column c = schema.column(schema.indexOf(k));
      if (keys.size() < 4 && CLUSTERABLE.contains(c.type())) {
        keys.add(k);
      }
    }
    return keys;
  }
}
