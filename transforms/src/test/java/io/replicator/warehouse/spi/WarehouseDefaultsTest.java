package io.replicator.warehouse.spi;

import static org.junit.Assert.assertEquals;

import io.replicator.change.DeleteMode;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** What a warehouse gets from the interface when it does not say otherwise. */
public class WarehouseDefaultsTest {
  private static final TargetTable TABLE = new TargetTable("t",
      TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"}]", List.of("id")),
      DeleteMode.HARD);

  @Test
  public void mergingTogetherMergesEachBatchOnItsOwnInOrder() {
    List<String> merged = new ArrayList<>();
    // A warehouse that merges batch by batch, and has applied "b2" before.
    InvocationHandler handler = (proxy, method, args) -> {
      if (method.getName().equals("merge") && args.length == 2) {
        StagedBatch b = (StagedBatch) args[1];
        merged.add(b.batchId());
        return b.batchId().equals("b2") ? MergeResult.skipped("t", "b2", b.rows())
            : new MergeResult("t", b.batchId(), false, b.rows(), b.rows(), 0, 0, 0, 0, 0);
      }
      if (method.isDefault()) {
        return InvocationHandler.invokeDefault(proxy, method, args);
      }
      throw new UnsupportedOperationException(method.getName());
    };
    Warehouse w = (Warehouse) Proxy.newProxyInstance(Warehouse.class.getClassLoader(), new Class<?>[] {Warehouse.class},
        handler);
    List<StagedBatch> batches = List.of(new StagedBatch("t", "b1", "/s/b1", 3, 30, 1),
        new StagedBatch("t", "b2", "/s/b2", 4, 40, 1), new StagedBatch("t", "b3", "/s/b3", 5, 50, 1));

    List<MergedBatches> merges = w.mergeTogether(TABLE, batches);

    assertEquals(List.of("b1", "b2", "b3"), merged);
    assertEquals(3, merges.size());
    assertEquals(List.of(1, 0, 1), merges.stream().map(MergedBatches::applied).toList());
    assertEquals(List.of(0, 1, 0), merges.stream().map(MergedBatches::skipped).toList());
    assertEquals(List.of(3L, 0L, 5L), merges.stream().map(m -> m.merged().inserted()).toList());
  }
}
