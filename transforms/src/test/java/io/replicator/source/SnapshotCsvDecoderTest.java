package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import io.replicator.change.Change;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class SnapshotCsvDecoderTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"note","type":"STRING"},{"name":"ok","type":"BOOL"}]""",
      List.of("id"));

  private static Utf8Lines lines(String text) {
    return new Utf8Lines(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  public void readsQuotedFieldsAcrossLinesAndCrlf() throws Exception {
    CsvRecordReader r = new CsvRecordReader(lines(
        "id,note,ok\r\n1,\"a, \"\"quoted\"\"\nsecond line\",true\r\n2,,\n3,\"\",f\n"));
    assertEquals(List.of("id", "note", "ok"), r.next());
    assertEquals(List.of("1", "a, \"quoted\"\nsecond line", "true"), r.next());
    assertEquals(2, r.recordLine());
    List<String> second = r.next();
    assertEquals("2", second.get(0));
    assertNull(second.get(1)); // empty unquoted: NULL
    assertEquals(4, r.recordLine());
    assertEquals("2,,", r.rawRecord());
    assertEquals(Arrays.asList("3", "", "f"), r.next()); // quoted empty: empty string
    assertNull(r.next());
  }

  @Test
  public void flagsMalformedRecords() throws Exception {
    CsvRecordReader r = new CsvRecordReader(lines("1,\"open\n"));
    r.next();
    assertEquals("unterminated quoted field", r.error());
    r = new CsvRecordReader(lines("1,\"a\"b,c\n2,x,y\n"));
    r.next();
    assertEquals("text after a closing quote", r.error());
    assertEquals(List.of("2", "x", "y"), r.next());
  }

  @Test
  public void decodesByHeaderNames() throws Exception {
    SnapshotCsvDecoder d = new SnapshotCsvDecoder("t", SCHEMA, Sequence.of(7), List.of("ok", "ID", "note"));
    List<Change> out = new ArrayList<>();
    d.decode(Arrays.asList("t", "42", null), out::add);
    assertEquals("[42]", out.get(0).key());
    assertEquals("\"id\":42,\"ok\":true", out.get(0).rowJson());
    assertEquals(Sequence.of(7), out.get(0).sequence());
    assertEquals("record has 2 fields, the header has 3",
        assertThrows(RejectedInputException.class, () -> d.decode(List.of("t", "1"), out::add)).getMessage());
  }

  @Test
  public void unknownHeaderColumnRejectsEveryRecord() {
    SnapshotCsvDecoder d = new SnapshotCsvDecoder("t", SCHEMA, Sequence.of(7), List.of("id", "bogus"));
    assertEquals("header column 'bogus' is not in the schema",
        assertThrows(RejectedInputException.class, () -> d.decode(List.of("1", "x"), c -> {})).getMessage());
  }
}
