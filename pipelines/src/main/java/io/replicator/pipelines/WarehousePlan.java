package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.splitList;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.change.TableSchema;
import io.replicator.merge.TableLayout;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.bigquery.BigQuerySettings;
import java.util.List;

/**
 * The {@link WarehouseOptions} and {@link BigQueryTargetOptions}, checked: the warehouse with its
 * BigQuery settings (refused for any other warehouse), and whether changes are written as BigQuery
 * CDC writes instead of staged and merged.
 */
record WarehousePlan(WarehouseSpec spec, boolean cdc) {

  /**
   * @param schema the table's schema when known, to check the partitioning against
   * @param staging where batches are staged, which the warehouse must be able to load from
   */
  static <O extends WarehouseOptions & BigQueryTargetOptions> WarehousePlan from(O o, TableSchema schema, String staging) {
    WarehouseSpec spec = wrap(() -> WarehouseSpec.parse(o.getWarehouse()), "--warehouse")
        .withLockTimeout(java.time.Duration.ofMillis(DurationOption.parse(o.getLockTimeout(), "--lockTimeout").getMillis()));
    boolean cdc = cdc(o);
    if (spec.kind().equals("bigquery")) {
      spec = withBigQuerySettings(o, spec, schema, cdc);
    } else {
      OptionChecks.refuse(new String[][] {
          {"--bigQueryJobLabels", o.getBigQueryJobLabels()}, {"--bigQueryEndpoint", o.getBigQueryEndpoint()},
          {"--partitionField", o.getPartitionField()}, {"--partitionRange", o.getPartitionRange()},
          {"--clusterFields", o.getClusterFields()}}, "applies to --warehouse=bigquery:PROJECT.DATASET only");
    }
    if (Launch.onDataflow(o) && spec.kind().equals("duckdb")) {
      throw new OptionsException("--warehouse=" + spec + " is a file on this machine, which Dataflow workers"
          + " cannot reach; on Dataflow use --warehouse=bigquery:PROJECT.DATASET");
    }
    String stagingProblem = spec.stagingProblem(staging);
    if (stagingProblem != null) {
      throw new OptionsException("--staging=" + staging + ": " + stagingProblem);
    }
    return new WarehousePlan(spec, cdc);
  }

  private static boolean cdc(BigQueryTargetOptions o) {
    String method = o.getBigQueryWriteMethod() == null ? "merge" : o.getBigQueryWriteMethod().trim();
    if (method.equals("merge")) {
      return false;
    }
    if (!method.equals("cdc")) {
      throw new OptionsException("--bigQueryWriteMethod='" + method + "': expected merge or cdc");
    }
    String warehouse = o.as(WarehouseOptions.class).getWarehouse();
    if (warehouse == null || !warehouse.startsWith("bigquery:")) {
      throw new OptionsException("--bigQueryWriteMethod=cdc applies to --warehouse=bigquery:PROJECT.DATASET only");
    }
    return true;
  }

  private static WarehouseSpec withBigQuerySettings(
      BigQueryTargetOptions o, WarehouseSpec spec, TableSchema schema, boolean cdc) {
    TableLayout layout = wrap(() -> new TableLayout(
        blankToNull(o.getPartitionField()),
        blankToNull(o.getPartitionRange()) == null ? null : TableLayout.IntegerRange.parse(o.getPartitionRange()),
        blankToNull(o.getClusterFields()) == null ? List.<String>of() : splitList(o.getClusterFields()),
        Boolean.TRUE.equals(o.getPartitionFieldImmutable())), "--partitionField");
    if (schema != null) {
      wrap(() -> {
        layout.check(schema);
        return null;
      }, "--partitionField");
    }
    long staleness = wrap(() -> BigQuerySettings.parseStaleness(o.getMaxStaleness()), "--maxStaleness");
    return spec.withBigQuery(s -> (cdc ? s.withCdc(staleness) : s)
        .withJobLabels(wrap(() -> BigQuerySettings.parseLabels(o.getBigQueryJobLabels()), "--bigQueryJobLabels"))
        .withEndpoint(o.getBigQueryEndpoint())
        .withLayout(layout));
  }
}
