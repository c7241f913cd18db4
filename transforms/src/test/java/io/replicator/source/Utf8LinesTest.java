package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import io.replicator.stream.SourceEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class Utf8LinesTest {
  private static List<String> read(byte[] bytes, List<String> problems) throws Exception {
    List<String> lines = new ArrayList<>();
    try (Utf8Lines in = new Utf8Lines(new ByteArrayInputStream(bytes))) {
      for (String line; (line = in.next()) != null; ) {
        lines.add(line);
        problems.add(in.lineNumber() + ":" + in.malformed() + ":" + in.terminator().replace("\r", "CR").replace("\n", "LF"));
      }
    }
    return lines;
  }

  @Test
  public void splitsAtEveryLineEndAndSkipsAByteOrderMark() throws Exception {
    List<String> problems = new ArrayList<>();
    byte[] text = "\uFEFFa\r\nb\rc\n\nlast".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("a", "b", "c", "", "last"), read(text, problems));
    assertEquals(List.of("1:null:CRLF", "2:null:CR", "3:null:LF", "4:null:LF", "5:null:"), problems);
  }

  @Test
  public void aMalformedSequenceIsNamedByItsByteNeverRepairedSilently() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("ok \uFFFD is a real character\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("00".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3); // A lead byte without its continuation.
    b.writeBytes("01\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("한".getBytes(StandardCharsets.UTF_8));
    b.write(0xED); // A surrogate encoded in UTF-8 (CESU): not UTF-8.
    b.write(0xA0);
    b.write(0x80);
    b.write('\n');
    List<String> problems = new ArrayList<>();
    List<String> lines = read(b.toByteArray(), problems);
    assertEquals("ok \uFFFD is a real character", lines.get(0));
    assertEquals("00\uFFFD01", lines.get(1));
    assertEquals(List.of("1:null:LF", "2:invalid UTF-8 at byte 3:LF", "3:invalid UTF-8 at byte 4:LF"), problems);
  }

  @Test
  public void aLineLongerThanTheBufferIsOneLine() throws Exception {
    String longLine = "é".repeat(100_000) + "x";
    byte[] bytes = (longLine + "\nnext\n").getBytes(StandardCharsets.UTF_8);
    List<String> problems = new ArrayList<>();
    assertEquals(List.of(longLine, "next"), read(bytes, problems));
    assertEquals(List.of("1:null:LF", "2:null:LF"), problems);
  }

  @Test
  public void aStreamMessageIsCheckedWhole() {
    assertNull(Utf8Lines.malformedIn("{\"a\":\"가\"}".getBytes(StandardCharsets.UTF_8)));
    byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'};
    assertEquals("invalid UTF-8 at byte 7", Utf8Lines.malformedIn(bad));
    SourceEvent e = SourceEvent.ofBytes("kafka:t/0", 5, bad, null);
    assertEquals("invalid UTF-8 at byte 7", e.malformed());
    assertEquals("{\"a\":\"\uFFFD\"}", e.payload());
    assertNull(SourceEvent.ofBytes("kafka:t/0", 6, new byte[0], null).payload()); // A tombstone.
  }

  /** Every line of {@code bytes} with its number, read in ranges of {@code rangeBytes}. */
  private static List<String> readInRanges(java.nio.file.Path file, long rangeBytes) throws Exception {
    long size = java.nio.file.Files.size(file);
    List<String> out = new ArrayList<>();
    for (long start = 0; start < Math.max(1, size); start += rangeBytes) {
      try (Utf8Lines in = Utf8Lines.ofRange(() -> java.nio.file.Files.newByteChannel(file), start,
          Math.min(size, start + rangeBytes))) {
        for (String line; (line = in.next()) != null; ) {
          out.add(describe(in, line));
        }
      }
    }
    return out;
  }

  private static String describe(Utf8Lines in, String line) {
    return in.lineNumber() + ":" + (line.length() > 100 ? "<" + line.length() + " chars>" : line) + ":" + in.malformed();
  }

  @Test
  public void rangesOfAFileTogetherGiveEachLineOnceWithItsNumber() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("\uFEFFfirst\n\nsecond line\r\nthird\rfourth\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("\uFEFFa mark inside the file is kept\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("한국어 ünïcödé 😀\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes("00".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3);
    b.writeBytes("01\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(("x".repeat(70_000) + "\n\n\nno newline at the end").getBytes(StandardCharsets.UTF_8));
    java.nio.file.Path file = java.nio.file.Files.createTempFile("ranges", ".jsonl");
    try {
      java.nio.file.Files.write(file, b.toByteArray());
      List<String> whole = new ArrayList<>();
      try (Utf8Lines in = new Utf8Lines(new ByteArrayInputStream(b.toByteArray()))) {
        for (String line; (line = in.next()) != null; ) {
          whole.add(describe(in, line));
        }
      }
      assertEquals(12, whole.size());
      // Every range size, from one byte (each range at most a line's start) to the whole file.
      for (long range : new long[] {1, 2, 3, 5, 7, 11, 64, 1000, 65_536, 70_001, 1 << 20}) {
        assertEquals("ranges of " + range + " bytes", whole, readInRanges(file, range));
      }
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
