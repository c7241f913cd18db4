package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class DebeziumChangeDecoderTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"name","type":"STRING"},
       {"name":"born","type":"DATE"}]""", List.of("id"));
  private static final String PG =
      "\"source\":{\"connector\":\"postgresql\",\"db\":\"app\",\"schema\":\"public\",\"table\":\"people\","
          + "\"lsn\":24023928,\"sequence\":\"[\\\"24023000\\\",\\\"24023928\\\"]\"}";

  private final DebeziumChangeDecoder decoder = new DebeziumChangeDecoder("people", SCHEMA);

  private List<Change> decode(String line) throws RejectedInputException {
    List<Change> out = new ArrayList<>();
    int n = decoder.decode(line, out::add);
    assertEquals(n, out.size());
    return out;
  }

  @Test
  public void createWithPostgresPosition() throws Exception {
    Change c = decode("{\"before\":null,\"after\":{\"id\":1,\"name\":\"김\",\"born\":19000},\"op\":\"c\",\"ts_ms\":1," + PG + "}").get(0);
    assertEquals(ChangeOp.UPSERT, c.op());
    assertEquals("[1]", c.key());
    assertEquals(Sequence.of(24023000, 24023928), c.sequence());
    assertEquals("\"id\":1,\"name\":\"김\",\"born\":\"2022-01-08\"", c.rowJson());
  }

  @Test
  public void schemaWrapperAndFieldOrderDoNotMatter() throws Exception {
    String event = "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{" + PG
        + ",\"op\":\"u\",\"after\":{\"id\":2,\"name\":\"b\"},\"before\":{\"id\":1,\"name\":\"a\"}}}";
    List<Change> out = decode(event);
    assertEquals(2, out.size());
    assertEquals(ChangeOp.DELETE, out.get(0).op());
    assertEquals("[1]", out.get(0).key());
    assertEquals("[2]", out.get(1).key());
  }

  @Test
  public void aNativeLineReadAsDebeziumIsRejectedNotSkippedAsAHeartbeat() throws Exception {
    RejectedInputException e = assertThrows(RejectedInputException.class,
        () -> decode("{\"id\":1,\"name\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":5}"));
    assertEquals("a native change line (it has _op, where a Debezium event has op): read it with"
        + " --changeFormat=native", e.getMessage());
    assertEquals(List.of(), decode("{\"schema\":null,\"payload\":{\"ts_ms\":1}}")); // A heartbeat stays one.
  }

  @Test
  public void updateWithoutBeforeImageIsAnUpsert() throws Exception {
    List<Change> out = decode("{\"before\":null,\"after\":{\"id\":2},\"op\":\"u\"," + PG + "}");
    assertEquals(1, out.size());
    assertEquals(ChangeOp.UPSERT, out.get(0).op());
  }

  @Test
  public void deleteUsesTheBeforeKey() throws Exception {
    Change c = decode("{\"before\":{\"id\":5,\"name\":null},\"after\":null,\"op\":\"d\"," + PG + "}").get(0);
    assertEquals(ChangeOp.DELETE, c.op());
    assertEquals("[5]", c.key());
  }

  @Test
  public void snapshotReadsAreInserts() throws Exception {
    assertEquals(ChangeOp.UPSERT, decode("{\"after\":{\"id\":1},\"op\":\"r\"," + PG + "}").get(0).op());
  }

  @Test
  public void tombstonesAndHeartbeatsCarryNoChange() throws Exception {
    assertEquals(0, decode("null").size());
    assertEquals(0, decode("{\"schema\":{},\"payload\":null}").size());
    assertEquals(0, decode("{\"ts_ms\":1700000000000}").size());
  }

  @Test
  public void mysqlAndSqlServerPositions() throws Exception {
    Change my = decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"mysql\",\"table\":\"people\","
        + "\"file\":\"mysql-bin.000003\",\"pos\":154,\"row\":2}}").get(0);
    assertEquals(Sequence.of(3, 154, 2), my.sequence());
    Change ms = decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"sqlserver\",\"table\":\"people\","
        + "\"commit_lsn\":\"0000002d:00000450:0003\",\"change_lsn\":\"0000002d:00000448:0002\",\"event_serial_no\":1}}").get(0);
    assertEquals(Sequence.of((0x2dL << 32) | 0x450, 3, (0x2dL << 32) | 0x448, (2L << 32) | 1), ms.sequence());
    Change later = decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"sqlserver\",\"table\":\"people\","
        + "\"commit_lsn\":\"0000002d:00000450:0003\",\"change_lsn\":\"0000002d:00000448:0002\",\"event_serial_no\":2}}").get(0);
    assertTrue(later.sequence().compareTo(ms.sequence()) > 0);
  }

  @Test
  public void badEventsSayWhy() {
    assertEquals("event for table 'orders'; this run replicates 'people'", assertThrows(RejectedInputException.class,
        () -> decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"postgresql\",\"table\":\"orders\",\"lsn\":1}}")).getMessage());
    assertTrue(assertThrows(RejectedInputException.class,
        () -> decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"oracle\",\"table\":\"people\"}}")).getMessage()
        .contains("no sequence for connector 'oracle'"));
    assertEquals("delete event without 'before'", assertThrows(RejectedInputException.class,
        () -> decode("{\"after\":null,\"op\":\"d\"," + PG + "}")).getMessage());
    assertEquals("truncate events are not applied", assertThrows(RejectedInputException.class,
        () -> decode("{\"op\":\"t\"," + PG + "}")).getMessage());
    assertEquals("after: column 'id': 'x' is not a valid INT64", assertThrows(RejectedInputException.class,
        () -> decode("{\"after\":{\"id\":\"x\"},\"op\":\"c\"," + PG + "}")).getMessage());
    assertEquals("source.lsn is missing", assertThrows(RejectedInputException.class,
        () -> decode("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"connector\":\"postgresql\"}}")).getMessage());
  }

  private static final TableSchema TOASTED = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"body","type":"STRING","mode":"REQUIRED"},
       {"name":"blob","type":"BYTES"},{"name":"tags","type":"JSON"},{"name":"doc","type":"JSON"},
       {"name":"n","type":"INT64"}]""", List.of("id"));

  /** The placeholder in each form the PostgreSQL connector writes it: text, bytes, an array, JSON. */
  @Test
  public void aPlaceholderInAnyFormIsAnUnchangedColumnNeverAValue() throws Exception {
    DebeziumChangeDecoder docs = new DebeziumChangeDecoder("docs", TOASTED, "people");
    String p = DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE;
    String base64 = java.util.Base64.getEncoder().encodeToString(p.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String hex = java.util.HexFormat.of().formatHex(p.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (String blob : List.of(base64, hex)) {
      List<Change> out = new ArrayList<>();
      docs.decode("{\"before\":null,\"after\":{\"id\":7,\"body\":\"" + p + "\",\"blob\":\"" + blob
          + "\",\"tags\":[\"" + p + "\"],\"doc\":\"" + p + "\",\"n\":null},\"op\":\"u\"," + PG + "}", out::add);
      Change c = out.get(0);
      assertEquals("\"id\":7", c.rowJson());
      assertEquals("[\"blob\",\"body\",\"doc\",\"tags\"]", c.unchanged());
    }
    // Another placeholder, as the connector's unavailable.value.placeholder sets it.
    DebeziumChangeDecoder custom = new DebeziumChangeDecoder("docs", TOASTED, "people", "<toast>");
    List<Change> out = new ArrayList<>();
    custom.decode("{\"after\":{\"id\":7,\"body\":\"<toast>\",\"tags\":[\"" + p + "\"]},\"op\":\"u\"," + PG
        + "}", out::add);
    assertEquals("[\"body\"]", out.get(0).unchanged());
    assertTrue(out.get(0).rowJson(), out.get(0).rowJson().contains(p));
  }

  @Test
  public void onlyAnUpdateOfAnUnmovedKeyMayLeaveColumnsUnchanged() {
    DebeziumChangeDecoder docs = new DebeziumChangeDecoder("docs", TOASTED, "people");
    String p = DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE;
    for (String[] c : new String[][] {
        {"{\"after\":{\"id\":7,\"body\":\"" + p + "\"},\"op\":\"c\"," + PG + "}", "must be whole"},
        {"{\"after\":{\"id\":7,\"body\":\"" + p + "\"},\"op\":\"r\"," + PG + "}", "must be whole"},
        {"{\"before\":{\"id\":6},\"after\":{\"id\":7,\"body\":\"" + p + "\"},\"op\":\"u\"," + PG + "}",
            "moves its key"},
        // REPLICA IDENTITY DEFAULT: the old row's other columns come as NULL, which says nothing.
        {"{\"before\":{\"id\":6,\"body\":null},\"after\":{\"id\":7,\"body\":\"" + p + "\"},\"op\":\"u\","
            + PG + "}", "moves its key"},
        {"{\"after\":{\"id\":\"" + p + "\",\"body\":\"x\"},\"op\":\"u\"," + PG + "}", "cannot be unchanged"}}) {
      RejectedInputException e = assertThrows(RejectedInputException.class, () -> docs.decode(c[0], x -> { }));
      assertTrue(e.getMessage(), e.getMessage().contains(c[1]));
    }
  }

  @Test
  public void anUpdateCarryingTheWholeOldRowTakesWhatItLeftOutFromIt() throws Exception {
    // REPLICA IDENTITY FULL: the old row comes whole, TOASTed values included, so a moved key's row
    // (and any update's) is completed from it and merged as a whole row.
    DebeziumChangeDecoder docs = new DebeziumChangeDecoder("docs", TOASTED, "people");
    String p = DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE;
    List<Change> out = new ArrayList<>();
    docs.decode("{\"before\":{\"id\":6,\"body\":\"long text\",\"doc\":{\"a\":1},\"n\":null},"
        + "\"after\":{\"id\":7,\"body\":\"" + p + "\",\"doc\":\"" + p + "\",\"n\":3},\"op\":\"u\"," + PG + "}",
        out::add);
    assertEquals(List.of(ChangeOp.DELETE, ChangeOp.UPSERT), out.stream().map(Change::op).toList());
    assertEquals("\"id\":7,\"body\":\"long text\",\"doc\":{\"a\":1},\"n\":3", out.get(1).rowJson());
    assertEquals(null, out.get(1).unchanged());
  }

  @Test
  public void aKeyMoveUnderReplicaIdentityDefaultNamesTheOldKeyWhereTheFlowCompletesIt() throws Exception {
    String p = DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE;
    String event = "{\"before\":{\"id\":6},\"after\":{\"id\":7,\"body\":\"" + p + "\",\"doc\":\"" + p
        + "\",\"n\":3},\"op\":\"u\"," + PG + "}";
    RejectedInputException e = assertThrows(RejectedInputException.class,
        () -> new DebeziumChangeDecoder("docs", TOASTED, "people").decode(event, x -> { }));
    assertTrue(e.getMessage(), e.getMessage().contains("moves its key from [6] to [7]"));
    List<Change> out = new ArrayList<>();
    new DebeziumChangeDecoder("docs", TOASTED, "people").passingKeyMoves().decode(event, out::add);
    assertEquals(List.of(ChangeOp.DELETE, ChangeOp.UPSERT), out.stream().map(Change::op).toList());
    assertEquals("[6]", out.get(0).key());
    assertEquals("\"id\":7,\"n\":3", out.get(1).rowJson());
    assertEquals("[\"body\",\"doc\"]", out.get(1).unchanged());
    assertEquals("[6]", out.get(1).movedFrom());
  }

  @Test
  public void theCreateHalfOfASplitKeyChangeIsPairedWithTheDeleteAtItsPosition() throws Exception {
    String p = DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE;
    String create = "{\"before\":null,\"after\":{\"id\":7,\"body\":\"" + p + "\",\"doc\":null,\"n\":3},"
        + "\"op\":\"c\"," + PG + "}";
    RejectedInputException e = assertThrows(RejectedInputException.class,
        () -> new DebeziumChangeDecoder("docs", TOASTED, "people").decode(create, x -> { }));
    assertTrue(e.getMessage(), e.getMessage().contains("an 'c' event's row"));
    List<Change> out = new ArrayList<>();
    new DebeziumChangeDecoder("docs", TOASTED, "people").passingKeyMoves().decode(create, out::add);
    assertEquals(1, out.size());
    assertEquals("[\"body\"]", out.get(0).unchanged());
    assertEquals(Change.DELETED_AT_SAME_POSITION, out.get(0).movedFrom());
    assertEquals(Sequence.of(24023000, 24023928), out.get(0).sequence());
    // A snapshot read, or another connector's create, never leaves a value out.
    for (String line : List.of(create.replace("\"op\":\"c\"", "\"op\":\"r\""),
        create.replace("postgresql", "mysql").replace(PG.substring(PG.indexOf("\"lsn\"")),
            "\"file\":\"binlog.000003\",\"pos\":154,\"row\":0}"))) {
      RejectedInputException refused = assertThrows(line, RejectedInputException.class,
          () -> new DebeziumChangeDecoder("docs", TOASTED, "people").passingKeyMoves().decode(line, x -> { }));
      assertTrue(refused.getMessage(), refused.getMessage().contains("event's row"));
    }
  }
}
