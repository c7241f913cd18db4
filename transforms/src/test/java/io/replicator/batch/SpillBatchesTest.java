package io.replicator.batch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class SpillBatchesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
      List.of("id"));
  private static final Pattern STAGED = Pattern.compile("\"id\":(\\d+),\"v\":\"([^\"]*)\".*\"_sequence_num\":(\\d+)");

  @Test
  public void spilledBatchesStageTheLatestChangePerKeyAndRejectedLinesKeepTheirNumbers() throws Exception {
    // Two files, every key changed twice in each, split into ranges of 4 KB (about 75 lines):
    // a key's changes sit in different ranges and files, and must still meet in one batch.
    int keys = 3000;
    List<String> expected = new ArrayList<>();
    for (String file : List.of("a", "b")) {
      StringBuilder sb = new StringBuilder();
      for (int round = 0; round < 2; round++) {
        for (int id = 0; id < keys; id++) {
          long seq = file.equals("a") ? 10 + round : (id % 2 == 0 ? 1 + round : 20 + round);
          sb.append("{\"id\":").append(id).append(",\"v\":\"").append(file).append(round).append("\",\"_op\":\"INSERT\",")
              .append("\"_sequence_num\":").append(seq).append(id % 7 == 0 ? "}\r\n" : "}\n");
          if (file.equals("b") && round == 1 && id == 2500) {
            sb.append("{\"id\":\"not a number\",\"_op\":\"INSERT\",\"_sequence_num\":99}\n");
          }
        }
      }
      Files.writeString(tmp.getRoot().toPath().resolve(file + ".jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }
    for (int id = 0; id < keys; id++) {
      expected.add(id + (id % 2 == 0 ? ":a1:11" : ":b1:21")); // Even keys: a's sequence 11 wins; odd: b's 21.
    }
    // The rejected line's number in b: every line before it, CR-split lines counted as the reader counts them.
    long lineOfBad = 0;
    for (String line : Files.readString(tmp.getRoot().toPath().resolve("b.jsonl")).split("\r\n|\n|\r")) {
      lineOfBad++;
      if (line.contains("not a number")) {
        break;
      }
    }

    Path spill = tmp.getRoot().toPath().resolve("staging/t/spill-test");
    SpillBatches.Result read = p.apply(SpillBatches.of(ReadChanges.from(tmp.getRoot() + "/*.jsonl")
        .withTable("t").withSchema(SCHEMA), 3, spill.toString()).withRangeBytes(4096));
    PCollection<StagedBatch> staged = read.spills()
        .apply(StageBatches.spilled(tmp.getRoot() + "/staging", 1 << 20, 1_000_000));
    PCollection<String> rows = staged.apply(FlatMapElements.into(TypeDescriptors.strings()).via(b -> {
      try {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(b.file()))) {
          Matcher m = STAGED.matcher(line);
          out.add(m.find() ? m.group(1) + ":" + m.group(2) + ":" + m.group(3) : "unreadable " + line);
        }
        return out;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    PAssert.that(rows).containsInAnyOrder(expected);
    PAssert.that(read.deadLetters().apply(MapElements.into(TypeDescriptors.strings())
        .via((DeadLetter d) -> Path.of(d.source()).getFileName() + ":" + d.line())))
        .containsInAnyOrder("b.jsonl:" + lineOfBad);
    p.run().waitUntilFinish();

    // The spill files are gone once their batches are staged.
    try (Stream<Path> left = Files.walk(spill.getParent())) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).filter(f -> f.startsWith(spill)).toList());
    }
  }

  /**
   * A stream's polls keep writing spill files into the bucket directories that staging empties and
   * removes as it goes: a directory removed between the writer creating it and opening its file
   * must not fail the poll (it did once, in a slot stream into BigQuery).
   */
  @Test
  public void spillingGoesOnWhileStagingRemovesEmptiedBucketDirectories() throws Exception {
    String dir = tmp.getRoot() + "/spill";
    java.util.concurrent.BlockingQueue<String> written = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread stager = new Thread(() -> {
      try {
        while (writing.get() || !written.isEmpty()) {
          String file = written.poll(10, java.util.concurrent.TimeUnit.MILLISECONDS);
          if (file != null) {
            StagingPaths.deleteSpill(file);
          }
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    stager.start();
    try {
      for (int poll = 0; poll < 8000; poll++) {
        try (SpillWriter spill = new SpillWriter(2, dir)) {
          spill.write(new Change("t", ChangeOp.UPSERT, "[" + poll + "]", Sequence.of(poll + 1), "\"id\":" + poll));
          written.addAll(spill.finish().values());
        }
      }
    } finally {
      writing.set(false);
      stager.join();
    }
    try (Stream<Path> left = Files.walk(Path.of(tmp.getRoot().toString()))) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
    }
  }

  @Test
  public void aStreamsBucketsAreGatheredIntoBatchesOfWholeKeys() throws Exception {
    // Two polls of a stream spill into 64 buckets each, every key of two tables changed in both:
    // the window's buckets become a few batches of about 20 KB, each key's changes in one of them.
    String dir = tmp.getRoot() + "/spill";
    List<KV<String, String>> files = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int poll = 0; poll < 2; poll++) {
      try (SpillWriter spill = new SpillWriter(64, dir)) {
        for (String table : List.of("t", "u")) {
          for (int id = 0; id < 2000; id++) {
            spill.write(new Change(table, ChangeOp.UPSERT, "[" + id + "]",
                Sequence.of(poll + 1), "\"id\":" + id + ",\"v\":\"" + table + poll + "\""));
            if (poll == 1) {
              expected.add(table + ":" + id + ":" + table + "1:2");
            }
          }
        }
        spill.finish().forEach((key, file) -> files.add(KV.of(key, file)));
      }
    }
    PCollection<StagedBatch> staged = p.apply(Create.of(files))
        .apply(StageBatches.spilledBuckets(tmp.getRoot() + "/staging", 20_000, 1_000_000));
    PCollection<String> rows = staged.apply(FlatMapElements.into(TypeDescriptors.strings()).via(b -> {
      try {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(b.file()))) {
          Matcher m = STAGED.matcher(line);
          out.add(m.find() ? b.table() + ":" + m.group(1) + ":" + m.group(2) + ":" + m.group(3) : "unreadable " + line);
        }
        return out;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    PAssert.that(rows).containsInAnyOrder(expected);
    PAssert.that(staged.apply(MapElements.into(TypeDescriptors.strings()).via(StagedBatch::table))
        .apply(Count.perElement()))
        .satisfies(counts -> {
          for (KV<String, Long> c : counts) {
            // About 100 KB of spilled changes per table: several batches, far fewer than buckets.
            assertTrue(c.toString(), c.getValue() >= 3 && c.getValue() <= 16);
          }
          return null;
        });
    p.run().waitUntilFinish();
  }
}
