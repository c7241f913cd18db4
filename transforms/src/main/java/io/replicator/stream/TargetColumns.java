package io.replicator.stream;

import io.replicator.change.Column;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.spi.Warehouse;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;

/**
 * Adds the columns a stream's events show new at the source to their targets, as nullable columns,
 * counted and logged once each. A decoding step holds one (the warehouse opened on first use) and
 * closes it at teardown.
 */
final class TargetColumns implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TargetColumns.class);

  private final WarehouseSpec spec;
  private final Counter added = Counters.counter(DecodeEvents.COLUMNS_ADDED);
  private Warehouse warehouse;

  TargetColumns(WarehouseSpec spec) {
    this.spec = spec;
  }

  /** {@code table} with {@code columns}, added to the target unless another step (or run) added them. */
  TargetTable add(TargetTable table, List<Column> columns) {
    if (warehouse == null) {
      warehouse = spec.open();
    }
    TargetTable known = warehouse.current(table);
    if (columns.stream().allMatch(c -> known.schema().indexOf(c.name()) != null)) {
      return known;
    }
    TargetTable evolved = warehouse.addColumns(table, columns);
    added.inc(columns.size());
    LOG.warn("{} has new column(s) at the source: added {} to the target", table.name(),
        columns.stream().map(c -> c.name() + " " + c.type()).toList());
    return evolved;
  }

  @Override
  public void close() {
    if (warehouse != null) {
      warehouse.close();
      warehouse = null;
    }
  }
}
