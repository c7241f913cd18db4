package io.replicator.warehouse;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.change.ValueKind;
import io.replicator.source.RejectedInputException;
import io.replicator.source.RowReader;
import io.replicator.source.postgres.TargetKeys;
import io.replicator.warehouse.spi.Warehouse;
import io.replicator.warehouse.spi.WarehouseException;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads the live rows of a target table back, each in the same canonical form a source row has,
 * so source and target can be compared value by value ({@code CompareTables}).
 *
 * <pre>{@code
 * PCollection<Change> rows = pipeline.apply(ReadTargetRows.of(warehouse, target));
 * }</pre>
 */
public final class ReadTargetRows extends PTransform<PBegin, PCollection<Change>> {
  private final WarehouseSpec warehouse;
  private final TargetTable table;

  private ReadTargetRows(WarehouseSpec warehouse, TargetTable table) {
    this.warehouse = warehouse;
    this.table = table;
  }

  public static ReadTargetRows of(WarehouseSpec warehouse, TargetTable table) {
    return new ReadTargetRows(warehouse, table);
  }

  @Override
  public PCollection<Change> expand(PBegin input) {
    return input
        .apply("One reader", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("Read rows", ParDo.of(new ReadFn(warehouse, table)))
        .setCoder(ChangeCoder.of());
  }

  private static final class ReadFn extends DoFn<Integer, Change> {
    private final WarehouseSpec spec;
    private final TargetTable table;

    ReadFn(WarehouseSpec spec, TargetTable table) {
      this.spec = spec;
      this.table = table;
    }

    @ProcessElement
    public void process(OutputReceiver<Change> out) {
      forEachRow(spec, table, out::output);
    }
  }

  /** Each live row of {@code table}, as a change of its key in canonical form (sequence 0). */
  public static void forEachRow(WarehouseSpec spec, TargetTable table, Consumer<Change> out) {
    RowReader row = new RowReader(table.schema());
    try (Warehouse w = spec.open()) {
      w.forEachRow(table, values -> {
        row.reset();
        try {
          for (int i = 0; i < values.length; i++) {
            row.set(i, ValueKind.TEXT, values[i]);
          }
          out.accept(new Change(table.name(), ChangeOp.UPSERT, row.key(), Sequence.of(0), row.rowJson()));
        } catch (RejectedInputException e) {
          throw new WarehouseException("a row of " + table.name() + " does not fit its schema: " + e.getMessage());
        }
      });
    }
  }

  /**
   * What the target records of every key ({@link Warehouse#forEachKeyRecord}): an UPSERT of its
   * row, or a DELETE of its key, each at its sequence.
   */
  public static void forEachKeyRecord(WarehouseSpec spec, TargetTable table, Consumer<Change> out) {
    forEachKeyRecord(spec, table, null, out);
  }

  /** As above, for at least the keys whose first key column holds one of {@code firstKeyValues}. */
  public static void forEachKeyRecord(WarehouseSpec spec, TargetTable table, Collection<String> firstKeyValues,
      Consumer<Change> out) {
    RowReader row = new RowReader(table.schema());
    List<String> keys = table.schema().keyColumns();
    try (Warehouse w = spec.open()) {
      w.forEachKeyRecord(table, firstKeyValues, (values, sequence, deleted) -> {
        row.reset();
        try {
          for (int i = 0; i < values.length; i++) {
            if (!deleted || keys.contains(table.schema().column(i).name())) {
              row.set(i, ValueKind.TEXT, values[i]);
            }
          }
          out.accept(deleted
              ? new Change(table.name(), ChangeOp.DELETE, row.key(), Sequence.of(sequence), row.keyRowJson())
              : new Change(table.name(), ChangeOp.UPSERT, row.key(), Sequence.of(sequence), row.rowJson()));
        } catch (RejectedInputException e) {
          throw new WarehouseException("a row of " + table.name() + " does not fit its schema: " + e.getMessage());
        }
      });
    }
  }

  /**
   * The rows of the targets in {@code spec} and their records of keys:
   * what a TRUNCATE at the source deletes, and where a key move finds the old key's row.
   */
  public static TargetKeys in(WarehouseSpec spec) {
    return new TargetKeys() {
      @Override
      public void forEachRow(TargetTable table, Consumer<Change> out) {
        ReadTargetRows.forEachRow(spec, table, out);
      }

      @Override
      public void forEachKeyRecord(TargetTable table, Consumer<Change> out) {
        ReadTargetRows.forEachKeyRecord(spec, table, out);
      }

      @Override
      public void forEachKeyRecord(TargetTable table, Collection<String> firstKeyValues, Consumer<Change> out) {
        ReadTargetRows.forEachKeyRecord(spec, table, firstKeyValues, out);
      }

      @Override
      public TargetTable current(TargetTable table) {
        try (Warehouse w = spec.open()) {
          return w.current(table);
        }
      }
    };
  }
}
