package io.replicator.stream;

import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.testing.PostgresServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A replication slot read as a stream's steps read it, against a real PostgreSQL server. */
public class ReadSlotStreamTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TargetTable ORDERS = new TargetTable("orders", new TableSchema(List.of(
      new Column("id", ColumnType.INT64, true), new Column("note", ColumnType.STRING, false)), List.of("id")),
      DeleteMode.HARD);

  private String db;
  private ReplicationSlot slot;

  @Before
  public void setUp() throws Exception {
    String id = Integer.toString(Math.abs(tmp.getRoot().getName().hashCode()));
    db = PostgresServer.get().createDatabase("read_slot_" + id);
    PostgresServer.get().execute(db, "CREATE TABLE orders (id int PRIMARY KEY, note text);"
        + " INSERT INTO orders VALUES (1, 'early')");
    slot = ReplicationSlot.withOwnPublication(PostgresServer.get().source(db, tmp.getRoot().toPath()),
        "read_slot_" + id);
    slot.prepare(List.of("public.orders"));
    PostgresServer.get().execute(db, "UPDATE orders SET note = 'in the slot' WHERE id = 1");
  }

  @After
  public void dropSlot() throws Exception {
    slot.drop();
  }

  @Test
  public void aReadStartingAfterTheFirstReadsSeesWhatCommittedBeforeTheyEnded() {
    // A stand-in for first reads that take a while: it commits a row at the source, then ends.
    PCollection<String> applied = p.apply("First reads", Create.of("orders"))
        .apply("Commit late", ParDo.of(new CommitLaterFn(db)));
    PCollection<Change> changes = p.apply(ReadSlotStream.of(slot, Map.of("public.orders", ORDERS)).once()
        .startingAfter(applied)).changes();
    PAssert.that(changes).satisfies(read -> {
      List<String> rows = new ArrayList<>();
      read.forEach(c -> rows.add(c.rowJson()));
      assertTrue(rows.toString(), rows.stream().anyMatch(r -> r.contains("in the slot")));
      // Read before the first reads ended, the slot would not have held this one yet.
      assertTrue(rows.toString(), rows.stream().anyMatch(r -> r.contains("committed by the first reads")));
      return null;
    });
    p.run().waitUntilFinish();
  }

  private static final class CommitLaterFn extends DoFn<String, String> {
    private final String db;

    CommitLaterFn(String db) {
      this.db = db;
    }

    @ProcessElement
    public void process(@Element String table, OutputReceiver<String> out) throws Exception {
      Thread.sleep(2000);
      PostgresServer.get().execute(db, "INSERT INTO orders VALUES (2, 'committed by the first reads')");
      out.output(table);
    }
  }
}
