package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.common.Counters;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ReadChangesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final io.replicator.change.TableSchema SCHEMA = io.replicator.change.TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
      List.of("id"));

  private Path write(String name, String text) throws Exception {
    Path f = tmp.getRoot().toPath().resolve(name);
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  public void readsChangesAndSendsBadLinesToDeadLettersWithFileAndLine() throws Exception {
    write("a.jsonl", "{\"id\":1,\"v\":\"x\",\"_op\":\"INSERT\",\"_sequence_num\":1}\n"
        + "\n"
        + "{\"id\":2,\"v\":\"y\",\"_op\":\"UPDATE\",\"_sequence_num\":2,\"_before_id\":1}\n"
        + "not json\n");
    Path gz = tmp.getRoot().toPath().resolve("b.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("{\"id\":3,\"_op\":\"DELETE\",\"_sequence_num\":3}\r\n{\"id\":\"three\",\"_op\":\"DELETE\",\"_sequence_num\":4}\n"
          .getBytes(StandardCharsets.UTF_8));
    }
    ReadChanges.Result read = p.apply(ReadChanges.from(tmp.getRoot() + "/*.jsonl*")
        .withTable("t").withSchema(SCHEMA));
    PAssert.that(read.changes()).containsInAnyOrder(
        new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"id\":1,\"v\":\"x\""),
        new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(2), "\"id\":1"),
        new Change("t", ChangeOp.UPSERT, "[2]", Sequence.of(2), "\"id\":2,\"v\":\"y\""),
        new Change("t", ChangeOp.DELETE, "[3]", Sequence.of(3), "\"id\":3"));
    PAssert.that(read.deadLetters()).satisfies(letters -> {
      List<DeadLetter> list = StreamSupport.stream(letters.spliterator(), false)
          .sorted((x, y) -> x.source().compareTo(y.source())).toList();
      assertEquals(2, list.size());
      assertTrue(list.get(0).source().endsWith("a.jsonl"));
      assertEquals(4, list.get(0).line());
      assertEquals("not json", list.get(0).input());
      assertTrue(list.get(0).reason().startsWith("malformed JSON"));
      assertTrue(list.get(1).source().endsWith("b.jsonl.gz"));
      assertEquals(2, list.get(1).line());
      assertEquals("column 'id': 'three' is not a valid INT64", list.get(1).reason());
      return null;
    });
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(5, counter(result, ReadChanges.LINES_READ));
    assertEquals(2, counter(result, ReadChanges.REJECTED));
    assertEquals(4, counter(result, ReadChanges.CHANGES_DECODED));
  }

  @Test
  public void readsCsvSnapshotsWithTheSnapshotSequence() throws Exception {
    write("s.csv", "v,id\n\"a,\"\"b\"\"\",1\n,2\nx\n");
    ReadChanges.Result read = p.apply(ReadChanges.from(tmp.getRoot() + "/s.csv")
        .withFormat(InputFormat.SNAPSHOT_CSV).withTable("t")
        .withSchema(SCHEMA).withSnapshotSequence(Sequence.of(9)));
    PAssert.that(read.changes()).containsInAnyOrder(
        new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(9), "\"id\":1,\"v\":\"a,\\\"b\\\"\""),
        new Change("t", ChangeOp.UPSERT, "[2]", Sequence.of(9), "\"id\":2"));
    PCollection<String> reasons = read.deadLetters().apply(
        org.apache.beam.sdk.transforms.MapElements.into(org.apache.beam.sdk.values.TypeDescriptors.strings())
            .via(d -> d.line() + ":" + d.input() + ":" + d.reason()));
    PAssert.that(reasons).containsInAnyOrder("4:x:record has 1 fields, the header has 2");
    p.run().waitUntilFinish();
  }

  @Test
  public void aRejectedSnapshotLineCarriesItsKeyWhenItCanBeRead() throws Exception {
    write("s.jsonl", "{\"v\":{\"o\":1},\"id\":1}\n" // wrong type outside the key
        + "{\"id\":2,\"v\":\"cut\n" // cut short after its key
        + "{\"id\":\"x3\",\"v\":\"a\"}\n" // the key itself is bad
        + "{\"v\":\"a\"}\n" // no key
        + "[1]\n");
    write("s.csv", "id,v\n4,\"open\n5,fine\n");
    write("t.csv", "id,v\n6,a,extra\n");
    ReadChanges.Result json = p.apply("JSONL", ReadChanges.from(tmp.getRoot() + "/s.jsonl")
        .withFormat(InputFormat.SNAPSHOT_JSONL).withTable("t").withSchema(SCHEMA).withSnapshotSequence(Sequence.of(9)));
    ReadChanges.Result csv = p.apply("CSV", ReadChanges.from(tmp.getRoot() + "/*.csv")
        .withFormat(InputFormat.SNAPSHOT_CSV).withTable("t").withSchema(SCHEMA).withSnapshotSequence(Sequence.of(9)));
    for (ReadChanges.Result read : List.of(json, csv)) {
      PAssert.that(read.deadLetters().apply(read == json ? "JSONL keys" : "CSV keys",
          org.apache.beam.sdk.transforms.MapElements.into(org.apache.beam.sdk.values.TypeDescriptors.strings())
              .via(d -> d.line() + ":" + d.key())))
          .containsInAnyOrder(read == json
              ? List.of("1:[1]", "2:[2]", "3:null", "4:null", "5:null")
              // An unterminated quote swallows the rest of the file: no key can be trusted; a record
              // with more fields than the header may have shifted its fields.
              : List.of("2:null", "2:null"));
    }
    p.run().waitUntilFinish();
  }

  @Test
  public void writesDeadLettersPerSourceFile() throws Exception {
    write("c.jsonl", "oops\n{\"id\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}\n{\"id\":\n");
    String dir = tmp.getRoot() + "/dead";
    ReadChanges.Result read = p.apply(ReadChanges.from(tmp.getRoot() + "/c.jsonl")
        .withTable("t").withSchema(SCHEMA));
    read.deadLetters().apply(WriteDeadLetters.to(dir));
    p.run().waitUntilFinish();
    List<Path> files;
    try (var s = Files.list(Path.of(dir))) {
      files = s.toList();
    }
    assertEquals(1, files.size());
    assertTrue(files.get(0).getFileName().toString().startsWith("rejected-c.jsonl-"));
    List<String> lines = Files.readAllLines(files.get(0));
    assertEquals(2, lines.size());
    assertTrue(lines.get(0), lines.get(0).contains("\"line\":1,\"input\":\"oops\",\"reason\":\"malformed JSON"));
    assertTrue(lines.get(1), lines.get(1).contains("\"line\":3,\"input\":\"{\\\"id\\\":\""));
  }

  static long counter(PipelineResult result, String name) {
    var counters = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(Counters.NAMESPACE, name)).build()).getCounters();
    long sum = 0;
    for (var c : counters) {
      sum += c.getCommitted();
    }
    return sum;
  }
}
