package io.replicator.source.postgres;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.DeadLetter;
import io.replicator.source.jdbc.Lsn;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** pgoutput messages as bytes, decoded and turned into changes. */
public class SlotChangeDecoderTest {
  private static final TargetTable ORDERS = new TargetTable("orders", new TableSchema(List.of(
      new Column("id", ColumnType.INT64, true), new Column("note", ColumnType.STRING, false),
      new Column("data", ColumnType.BYTES, false), new Column("tags", ColumnType.JSON, false)), List.of("id")),
      DeleteMode.HARD);

  private final List<Change> changes = new ArrayList<>();
  private final List<DeadLetter> rejected = new ArrayList<>();
  private final SlotChangeDecoder decoder = new SlotChangeDecoder(Map.of("public.orders", ORDERS),
      new SlotChangeDecoder.SourceCatalog() {
        @Override
        public String arrayJson(int oid, int mod, String literal) {
          return "[" + io.replicator.change.Json.quote("converted " + literal) + "]";
        }

        @Override
        public ColumnType columnType(int oid, int mod) {
          return oid == 25 ? ColumnType.STRING : ColumnType.INT64;
        }

        @Override
        public boolean filledWithoutChanges(int tableOid, String column) {
          return column.startsWith("defaulted");
        }
      }, "slot s");

  /** Writes one message the way the plugin does. */
  private static final class Message {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    Message(char kind) throws IOException {
      out.writeByte(kind);
    }

    Message i8(int v) throws IOException {
      out.writeByte(v);
      return this;
    }

    Message i16(int v) throws IOException {
      out.writeShort(v);
      return this;
    }

    Message i32(int v) throws IOException {
      out.writeInt(v);
      return this;
    }

    Message i64(long v) throws IOException {
      out.writeLong(v);
      return this;
    }

    Message string(String s) throws IOException {
      out.write(s.getBytes(StandardCharsets.UTF_8));
      out.writeByte(0);
      return this;
    }

    /** A tuple: null for NULL, "\u0000u" for unchanged, else text. */
    Message tuple(String... values) throws IOException {
      out.writeShort(values.length);
      for (String v : values) {
        if (v == null) {
          out.writeByte('n');
        } else if (v.equals("\u0000u")) {
          out.writeByte('u');
        } else {
          byte[] b = v.getBytes(StandardCharsets.UTF_8);
          out.writeByte('t');
          out.writeInt(b.length);
          out.write(b);
        }
      }
      return this;
    }

    PgOutput.Message decoded() {
      return PgOutput.decode(bytes.toByteArray());
    }
  }

  private void feed(Message m) {
    decoder.accept(m.decoded(), changes::add, rejected::add);
  }

  private void begin(long commitLsn) throws IOException {
    feed(new Message('B').i64(commitLsn).i64(0).i32(77));
    feed(new Message('R').i32(16384).string("public").string("orders").i8('d').i16(4)
        .i8(1).string("id").i32(23).i32(-1).i8(0).string("note").i32(25).i32(-1)
        .i8(0).string("data").i32(17).i32(-1).i8(0).string("tags").i32(1009).i32(-1));
  }

  private static final String UNCHANGED = "\u0000u";

  @Test
  public void changesAreSequencedByCommitThenPlaceAndValuesReadAsTheTableReadDoes() throws IOException {
    begin(0x1_0000_0100L);
    feed(new Message('I').i32(16384).i8('N').tuple("1", "héllo", "\\x00ff", "{a,\"b c\"}"));
    feed(new Message('U').i32(16384).i8('N').tuple("1", UNCHANGED, UNCHANGED, null));
    feed(new Message('D').i32(16384).i8('K').tuple("1", null, null, null));
    feed(new Message('C').i8(0).i64(0x1_0000_0100L).i64(0x1_0000_0180L).i64(0));

    assertEquals(List.of(), rejected);
    assertEquals(3, changes.size());
    Change insert = changes.get(0);
    assertEquals(ChangeOp.UPSERT, insert.op());
    assertEquals(Sequence.of(0x1_0000_0100L, 1), insert.sequence());
    assertEquals("\"id\":1,\"note\":\"héllo\",\"data\":\"AP8=\",\"tags\":[\"converted {a,\\\"b c\\\"}\"]",
        insert.rowJson());
    Change update = changes.get(1);
    assertEquals(Sequence.of(0x1_0000_0100L, 2), update.sequence());
    assertEquals("[\"data\",\"note\"]", update.unchanged());
    assertEquals("\"id\":1", update.rowJson());
    assertEquals(ChangeOp.DELETE, changes.get(2).op());
    assertEquals(Sequence.of(0x1_0000_0100L, 3), changes.get(2).sequence());
    assertEquals(1, decoder.transactions());
    assertEquals(3, decoder.rowChanges());
  }

  @Test
  public void aMovedKeyIsADeleteAndAnUpsertCompletedFromAWholeOldRow() throws IOException {
    begin(500);
    // Replica identity default: the old key only; the row is whole, so the move is too.
    feed(new Message('U').i32(16384).i8('K').tuple("1", null, null, null).i8('N').tuple("2", "n", null, null));
    // Replica identity full: the unchanged value comes from the old row.
    feed(new Message('U').i32(16384).i8('O').tuple("2", "n", "\\x01", null).i8('N').tuple("3", "n", UNCHANGED, null));
    assertEquals(List.of(), rejected);
    assertEquals(List.of(ChangeOp.DELETE, ChangeOp.UPSERT, ChangeOp.DELETE, ChangeOp.UPSERT),
        changes.stream().map(Change::op).toList());
    assertEquals("1", changes.get(0).key().replaceAll("\\D", ""));
    assertEquals("\"id\":3,\"note\":\"n\",\"data\":\"AQ==\"", changes.get(3).rowJson());
    assertEquals(null, changes.get(3).unchanged());
  }

  @Test
  public void aMovedKeyMissingAToastedValueIsADeadLetterNamingTheFix() throws IOException {
    begin(500);
    feed(new Message('U').i32(16384).i8('K').tuple("1", null, null, null).i8('N').tuple("2", "n", UNCHANGED, null));
    assertEquals(List.of(), changes);
    assertEquals(1, rejected.size());
    assertTrue(rejected.get(0).reason(), rejected.get(0).reason().contains("REPLICA IDENTITY FULL"));
    assertTrue(rejected.get(0).input(), rejected.get(0).input().contains("\"commit_lsn\":\"0/1F4\""));
  }

  @Test
  public void badValuesAndUnknownColumnsAreDeadLettersAndOtherTablesAreSkipped() throws IOException {
    begin(900);
    feed(new Message('I').i32(16384).i8('N').tuple("x", "n", null, null));
    feed(new Message('I').i32(16384).i8('N').tuple("4", "n", "00ff", null));
    feed(new Message('R').i32(99).string("public").string("other").i8('d').i16(1).i8(1).string("id").i32(23).i32(-1));
    feed(new Message('I').i32(99).i8('N').tuple("1"));
    feed(new Message('R').i32(16384).string("public").string("orders").i8('d').i16(2)
        .i8(1).string("id").i32(23).i32(-1).i8(0).string("added").i32(25).i32(-1));
    feed(new Message('I').i32(16384).i8('N').tuple("5", "v"));
    assertEquals(List.of(), changes);
    assertEquals(3, rejected.size());
    assertTrue(rejected.get(0).reason(), rejected.get(0).reason().contains("'x' is not a valid INT64"));
    assertTrue(rejected.get(1).reason(), rejected.get(1).reason().contains("not in hex"));
    assertTrue(rejected.get(2).reason(), rejected.get(2).reason().contains("column 'added'"));
    assertEquals(1, decoder.skipped());
  }

  @Test
  public void aColumnNewAtTheSourceIsAddedWhenTheDecoderFollowsSchemas() throws IOException {
    List<List<Column>> added = new ArrayList<>();
    decoder.addingColumns((table, columns) -> {
      added.add(columns);
      return table.withColumns(columns);
    });
    begin(900);
    feed(ordersWith("added", 25));
    feed(new Message('I').i32(16384).i8('N').tuple("5", null, null, null, "v"));
    assertEquals(List.of(List.of(new Column("added", ColumnType.STRING, false))), added);
    assertEquals(List.of(), rejected);
    assertEquals("\"id\":5,\"added\":\"v\"", changes.get(0).rowJson());
  }

  @Test
  public void aColumnAddedWithADefaultStopsTheReadInsteadOfLeavingEarlierRowsNull() throws IOException {
    decoder.addingColumns((table, columns) -> {
      throw new AssertionError("added " + columns);
    });
    begin(900);
    Message relation = ordersWith("defaulted", 23);
    RuntimeException e = assertThrows(RuntimeException.class, () -> feed(relation));
    assertTrue(e.getMessage(), e.getMessage().contains("column defaulted of public.orders was added at the source with"
        + " a default"));
    assertTrue(e.getMessage(), e.getMessage().contains("reads public.orders whole at the slot's position"));
  }

  @Test
  public void aColumnNewWhileAnotherIsGoneStopsTheReadAsItMayBeARename() throws IOException {
    decoder.addingColumns((table, columns) -> {
      throw new AssertionError("added " + columns);
    });
    begin(900);
    Message renamed = new Message('R').i32(16384).string("public").string("orders").i8('d').i16(4)
        .i8(1).string("id").i32(23).i32(-1).i8(0).string("note").i32(25).i32(-1)
        .i8(0).string("data").i32(17).i32(-1).i8(0).string("labels").i32(1009).i32(-1);
    RuntimeException e = assertThrows(RuntimeException.class, () -> feed(renamed));
    assertTrue(e.getMessage(), e.getMessage().contains("column labels of public.orders is new at the source and tags"
        + " is gone"));
  }

  /** The orders table as the source describes it after a column was added. */
  private static Message ordersWith(String column, int typeOid) throws IOException {
    return new Message('R').i32(16384).string("public").string("orders").i8('d').i16(5)
        .i8(1).string("id").i32(23).i32(-1).i8(0).string("note").i32(25).i32(-1)
        .i8(0).string("data").i32(17).i32(-1).i8(0).string("tags").i32(1009).i32(-1)
        .i8(0).string(column).i32(typeOid).i32(-1);
  }

  @Test
  public void aTruncateOfAReplicatedTableStopsTheRead() throws IOException {
    begin(900);
    Message truncate = new Message('T').i32(1).i8(0).i32(16384);
    RuntimeException e = assertThrows(RuntimeException.class, () -> feed(truncate));
    assertTrue(e.getMessage(), e.getMessage().contains("TRUNCATE of public.orders at LSN 0/384"));
  }

  @Test
  public void truncatedOrUnknownMessagesAreNamed() throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PgOutput.decode(new byte[] {'I', 0, 0}));
    assertTrue(e.getMessage(), e.getMessage().contains("truncated pgoutput 'I'"));
    e = assertThrows(IllegalArgumentException.class, () -> PgOutput.decode(new byte[] {'Z'}));
    assertTrue(e.getMessage(), e.getMessage().contains("unknown pgoutput message 'Z'"));
    assertEquals("16/B374D848", Lsn.text(0x16_B374_D848L));
  }
}
