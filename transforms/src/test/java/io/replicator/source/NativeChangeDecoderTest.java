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

public class NativeChangeDecoderTest {
  static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"INT64","mode":"REQUIRED"},
       {"name":"region","type":"STRING","mode":"REQUIRED"},
       {"name":"select","type":"STRING"},
       {"name":"설명","type":"STRING"},
       {"name":"amount","type":"NUMERIC","mode":"REQUIRED"}]""", List.of("id", "region"));

  private final NativeChangeDecoder decoder = new NativeChangeDecoder("t", SCHEMA);

  private List<Change> decode(String line) throws RejectedInputException {
    List<Change> out = new ArrayList<>();
    decoder.decode(line, out::add);
    return out;
  }

  private String reject(String line) {
    return assertThrows(RejectedInputException.class, () -> decode(line)).getMessage();
  }

  @Test
  public void insertBecomesUpsertWithCanonicalRowAndKey() throws Exception {
    List<Change> out = decode(
        "{\"amount\":12.50,\"REGION\":\"서울\",\"id\":\"7\",\"select\":\"a\\tb\",\"설명\":\"\\\"q\\\" \\\\\",\"_op\":\"INSERT\",\"_sequence_num\":5}");
    assertEquals(1, out.size());
    Change c = out.get(0);
    assertEquals(ChangeOp.UPSERT, c.op());
    assertEquals("[7,\"서울\"]", c.key());
    assertEquals(Sequence.of(5), c.sequence());
    assertEquals("\"id\":7,\"region\":\"서울\",\"select\":\"a\\tb\",\"설명\":\"\\\"q\\\" \\\\\",\"amount\":\"12.5\"", c.rowJson());
  }

  @Test
  public void updateThatMovesTheKeyIsDeleteAndUpsertAtTheSameSequence() throws Exception {
    List<Change> out = decode(
        "{\"id\":2,\"region\":\"b\",\"amount\":1,\"_op\":\"UPDATE\",\"_sequence_num\":9,\"_before_id\":1,\"_before_region\":\"a\"}");
    assertEquals(2, out.size());
    assertEquals(ChangeOp.DELETE, out.get(0).op());
    assertEquals("[1,\"a\"]", out.get(0).key());
    assertEquals("\"id\":1,\"region\":\"a\"", out.get(0).rowJson());
    assertEquals(ChangeOp.UPSERT, out.get(1).op());
    assertEquals("[2,\"b\"]", out.get(1).key());
    assertEquals(out.get(0).sequence(), out.get(1).sequence());
  }

  @Test
  public void updateWithUnchangedBeforeKeyIsOneUpsert() throws Exception {
    List<Change> out = decode(
        "{\"id\":2,\"region\":\"b\",\"amount\":1,\"_op\":\"UPDATE\",\"_sequence_num\":9,\"_before_id\":\"2\",\"_before_region\":\"b\"}");
    assertEquals(1, out.size());
    assertEquals(ChangeOp.UPSERT, out.get(0).op());
  }

  @Test
  public void deleteTakesTheBeforeKeyOrTheRowKey() throws Exception {
    assertEquals("[3,\"x\"]", decode("{\"_op\":\"DELETE\",\"_sequence_num\":1,\"_before_id\":3,\"_before_region\":\"x\"}").get(0).key());
    Change d = decode("{\"id\":4,\"region\":\"y\",\"amount\":1,\"_op\":\"delete\",\"_sequence_num\":1}").get(0);
    assertEquals(ChangeOp.DELETE, d.op());
    assertEquals("\"id\":4,\"region\":\"y\"", d.rowJson());
  }

  @Test
  public void otherMetadataFieldsAreIgnored() throws Exception {
    assertEquals(1, decode("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1,\"_batch_id\":\"x\",\"_before_amount\":3}").size());
  }

  @Test
  public void badLinesSayWhy() {
    assertTrue(reject("{\"id\":1,").startsWith("malformed JSON"));
    assertEquals("empty line", reject(" "));
    assertEquals("missing _op", reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_sequence_num\":1}"));
    assertEquals("missing _sequence_num", reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\"}"));
    assertEquals("unknown _op 'UPSERT' (expected INSERT, UPDATE or DELETE)",
        reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"UPSERT\",\"_sequence_num\":1}"));
    assertTrue(reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":\"x1\"}")
        .startsWith("_sequence_num must be a 64-bit integer"));
    assertEquals("key column 'region' is missing", reject("{\"id\":1,\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertEquals("key column 'id' is null", reject("{\"id\":null,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertEquals("column 'amount' is REQUIRED but missing", reject("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertEquals("column 'extra' is not in the schema",
        reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"extra\":2,\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertEquals("column 'id': '1.5' is not a valid INT64",
        reject("{\"id\":1.5,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertEquals("column 'region': expected STRING, found an object",
        reject("{\"id\":1,\"region\":{},\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}"));
    assertTrue(reject("{\"id\":1,\"id\":2,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}").contains("id"));
    assertEquals("_before_ values name 1 of the 2 key columns",
        reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"UPDATE\",\"_sequence_num\":1,\"_before_id\":3}"));
    assertEquals("expected a JSON object, found an array", reject("[1,2]"));
    assertEquals("unexpected text after the JSON object",
        reject("{\"id\":1,\"region\":\"a\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":1} {}"));
  }

  @Test
  public void decoderIsReusableAfterARejectedLine() throws Exception {
    reject("{\"id\":1,\"region\":\"a\",\"amount\":\"x\",\"_op\":\"INSERT\",\"_sequence_num\":1}");
    assertEquals("[2,\"b\"]", decode("{\"id\":2,\"region\":\"b\",\"amount\":1,\"_op\":\"INSERT\",\"_sequence_num\":2}").get(0).key());
  }

  @Test
  public void anUpdateListsTheColumnsItLeftUnchanged() throws Exception {
    TableSchema schema = TableSchema.fromBigQueryJson("""
        [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"doc","type":"STRING","mode":"REQUIRED"},
         {"name":"n","type":"INT64"}]""", List.of("id"));
    NativeChangeDecoder d = new NativeChangeDecoder("t", schema);
    List<Change> out = new ArrayList<>();
    d.decode("{\"id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}", out::add);
    assertEquals("\"id\":1", out.get(0).rowJson());
    assertEquals("[\"doc\"]", out.get(0).unchanged());
    for (String[] c : new String[][] {
        {"{\"id\":1,\"_op\":\"INSERT\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}", "only an UPDATE"},
        {"{\"id\":1,\"_op\":\"DELETE\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}", "only an UPDATE"},
        {"{\"id\":1,\"doc\":\"x\",\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}", "has a value"},
        {"{\"id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"nope\"]}", "not a column"},
        {"{\"id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":\"doc\"}", "must be an array"},
        {"{\"id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"id\"]}", "has a value"},
        {"{\"id\":2,\"_before_id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}",
            "moves its key"}}) {
      RejectedInputException e = assertThrows(RejectedInputException.class, () -> d.decode(c[0], x -> { }));
      assertTrue(c[0] + ": " + e.getMessage(), e.getMessage().contains(c[1]));
    }
    // For a flow that completes key moves: the old key's delete, and the new row naming the old key.
    out.clear();
    new NativeChangeDecoder("t", schema).passingKeyMoves().decode(
        "{\"id\":2,\"_before_id\":1,\"_op\":\"UPDATE\",\"_sequence_num\":4,\"_unchanged\":[\"doc\"]}", out::add);
    assertEquals(List.of(new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(4), "\"id\":1"),
        new Change("t", ChangeOp.UPSERT, "[2]", Sequence.of(4), "\"id\":2", "[\"doc\"]").movedFrom("[1]")), out);
  }
}
