package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class SnapshotJsonDecoderTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"note","type":"STRING"},{"name":"ok","type":"BOOL"}]""",
      List.of("id"));

  private static List<Change> decode(SnapshotJsonDecoder d, String... lines) throws RejectedInputException {
    List<Change> out = new ArrayList<>();
    for (String line : lines) {
      d.decode(line, out::add);
    }
    return out;
  }

  @Test
  public void rowsInAnyFieldOrderDecodeAlikeWhateverTheRowBefore() throws Exception {
    SnapshotJsonDecoder d = new SnapshotJsonDecoder("t", SCHEMA, Sequence.of(3));
    // The reader remembers which column sat at each place of the last row; a row in another
    // order, with a field left out, a metadata field or a name in another case reads the same.
    List<Change> out = decode(d,
        "{\"id\":1,\"note\":\"한국\",\"ok\":true}",
        "{\"ok\":false,\"id\":2,\"note\":\"b\"}",
        "{\"id\":3,\"ok\":true}",
        "{\"_batch\":\"x\",\"note\":\"d\",\"id\":4}",
        "{\"ID\":5,\"Note\":\"e\",\"ok\":null}",
        "{\"id\":6,\"note\":\"f\",\"ok\":true}");
    List<String> rows = out.stream().map(c -> c.key() + " " + c.rowJson()).toList();
    assertEquals(List.of(
        "[1] \"id\":1,\"note\":\"한국\",\"ok\":true",
        "[2] \"id\":2,\"note\":\"b\",\"ok\":false",
        "[3] \"id\":3,\"ok\":true",
        "[4] \"id\":4,\"note\":\"d\"",
        "[5] \"id\":5,\"note\":\"e\"",
        "[6] \"id\":6,\"note\":\"f\",\"ok\":true"), rows);
  }

  @Test
  public void aColumnGivenTwiceIsRefusedWhateverItsCase() throws Exception {
    SnapshotJsonDecoder d = new SnapshotJsonDecoder("t", SCHEMA, Sequence.of(3));
    decode(d, "{\"id\":1,\"note\":\"a\",\"ok\":true}");
    for (String line : List.of("{\"id\":1,\"note\":\"a\",\"note\":\"b\"}", "{\"id\":1,\"note\":\"a\",\"NOTE\":\"b\"}",
        "{\"id\":1,\"id\":2}")) {
      RejectedInputException e = assertThrows(line, RejectedInputException.class, () -> decode(d, line));
      assertTrue(e.getMessage(), e.getMessage().contains("appears twice"));
    }
    assertEquals("[7]", decode(d, "{\"note\":\"a\",\"id\":7}").get(0).key());
  }

  @Test
  public void aFieldGivenTwiceInsideAJsonValueIsRefusedAsInAChangeLine() throws Exception {
    TableSchema withJson = TableSchema.fromBigQueryJson("""
        [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"doc","type":"JSON"}]""", List.of("id"));
    SnapshotJsonDecoder d = new SnapshotJsonDecoder("t", withJson, Sequence.of(3));
    for (String line : List.of("{\"id\":1,\"doc\":{\"a\":1,\"a\":2}}", "{\"id\":1,\"doc\":[{\"b\":{\"c\":1,\"c\":1}}]}")) {
      RejectedInputException e = assertThrows(line, RejectedInputException.class, () -> decode(d, line));
      assertTrue(e.getMessage(), e.getMessage().contains("Duplicate field"));
    }
    // The row's own metadata fields may still repeat (the reader ignores them), after a JSON value too.
    assertEquals("\"id\":2,\"doc\":{\"a\":1,\"b\":[1,{\"a\":2}]}",
        decode(d, "{\"id\":2,\"doc\":{\"a\":1,\"b\":[1,{\"a\":2}]},\"_x\":1,\"_x\":2}").get(0).rowJson());
  }
}
