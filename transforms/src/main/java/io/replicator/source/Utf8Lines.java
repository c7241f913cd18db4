package io.replicator.source;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.LongSupplier;
import org.apache.beam.sdk.io.FileIO;

/**
 * The lines of a byte stream, each decoded as strict UTF-8: a line holding a malformed byte
 * sequence is still returned (with U+FFFD where the bad bytes were, so it can be shown), and
 * {@link #malformed()} says where it went wrong, so the caller rejects it instead of keeping a
 * silently repaired value. Lines end at LF, CRLF or a lone CR; a UTF-8 byte order mark at the start
 * of the input is skipped. Not thread-safe.
 *
 * <pre>{@code
 * try (Utf8Lines lines = Utf8Lines.of(file)) {
 *   for (String line; (line = lines.next()) != null; ) {
 *     if (lines.malformed() != null) { reject(lines.lineNumber(), line, lines.malformed()); }
 *   }
 * }
 * }</pre>
 */
public final class Utf8Lines implements Closeable {
  private final InputStream in;
  private final byte[] buffer = new byte[1 << 16];
  private int pos;
  private int limit;
  private boolean eof;
  private boolean started;
  /** A line that spans buffer refills is gathered here. */
  private byte[] pending = new byte[256];
  private int pendingLength;
  private long lineNumber;
  /** Bytes taken from the input so far (whole buffers: at most 64 KiB ahead of the last line). */
  private long bytesRead;
  private String terminator = "";
  private String malformed;
  private CharsetDecoder strict;
  /** Lines before the input's first, counted only when a line number is asked for (a range's). */
  private LongSupplier linesBefore;

  public Utf8Lines(InputStream in) {
    this.in = in;
  }

  /**
   * The lines of {@code file} (uncompressed) that start in {@code [start, end)}: a line starts at 0
   * or after a line feed, so every line of the file falls in exactly one range of a split. Line
   * numbers count from the file's start; the lines before the range are counted only when a number
   * is asked for (a rejected line), so a range costs nothing extra otherwise.
   */
  public static Utf8Lines ofRange(FileIO.ReadableFile file, long start, long end) throws IOException {
    return ofRange(file::openSeekable, start, end);
  }

  /** {@link #ofRange(FileIO.ReadableFile, long, long)} of the bytes {@code open} gives. */
  static Utf8Lines ofRange(LineRanges.Opener open, long start, long end) throws IOException {
    SeekableByteChannel channel = open.open();
    long first = start == 0 ? 0 : LineRanges.nextLineStart(channel, start);
    channel.position(first);
    Utf8Lines lines = new Utf8Lines(LineRanges.through(Channels.newInputStream(channel), first, end));
    if (first > 0) {
      lines.started = true; // A mark at the range's start is a character of a line, not a file's byte order mark.
      lines.linesBefore = () -> LineRanges.countLines(open, first);
    }
    return lines;
  }

  /** The lines of a matched file, decompressed as Beam knows how. */
  public static Utf8Lines of(FileIO.ReadableFile file) throws IOException {
    return new Utf8Lines(Channels.newInputStream(file.open()));
  }

  /** The next line without its terminator, or null at the end of the input. */
  public String next() throws IOException {
    if (!started) {
      started = true;
      skipByteOrderMark();
    }
    pendingLength = 0;
    while (true) {
      for (int i = pos; i < limit; i++) {
        byte b = buffer[i];
        if (b == '\n' || b == '\r') {
          String line;
          if (pendingLength == 0) {
            line = decode(buffer, pos, i - pos);
          } else {
            append(buffer, pos, i - pos);
            line = decode(pending, 0, pendingLength);
          }
          pos = i + 1;
          if (b == '\r') {
            if (pos == limit) {
              fill();
            }
            if (pos < limit && buffer[pos] == '\n') {
              pos++;
              terminator = "\r\n";
            } else {
              terminator = "\r";
            }
          } else {
            terminator = "\n";
          }
          lineNumber++;
          return line;
        }
      }
      append(buffer, pos, limit - pos);
      pos = limit;
      if (!fill()) {
        if (pendingLength == 0) {
          return null;
        }
        terminator = "";
        lineNumber++;
        return decode(pending, 0, pendingLength);
      }
    }
  }

  /** Bytes read from the input so far, for progress: ahead of the lines returned by at most a buffer. */
  public long bytesRead() {
    return bytesRead;
  }

  /** The 1-based number of the line {@link #next} returned last. */
  public long lineNumber() {
    if (linesBefore != null) {
      lineNumber += linesBefore.getAsLong();
      linesBefore = null;
    }
    return lineNumber;
  }

  /** How the last line ended, as it stood: {@code "\n"}, {@code "\r\n"}, {@code "\r"}, or empty at the end. */
  public String terminator() {
    return terminator;
  }

  /** Why the last line is not valid UTF-8 ("invalid UTF-8 at byte N"), or null when it is. */
  public String malformed() {
    return malformed;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private void skipByteOrderMark() throws IOException {
    while (limit - pos < 3 && !eof) {
      int n = in.read(buffer, limit, buffer.length - limit);
      if (n < 0) {
        eof = true;
      } else {
        limit += n;
      }
    }
    if (limit - pos >= 3 && buffer[pos] == (byte) 0xEF && buffer[pos + 1] == (byte) 0xBB && buffer[pos + 2] == (byte) 0xBF) {
      pos += 3;
    }
  }

  /** Refills the buffer once it is consumed; false at the end of the input. */
  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    pos = 0;
    limit = 0;
    int n;
    do {
      n = in.read(buffer, 0, buffer.length);
    } while (n == 0);
    if (n < 0) {
      eof = true;
      return false;
    }
    limit = n;
    bytesRead += n;
    return true;
  }

  private void append(byte[] bytes, int from, int length) {
    if (pendingLength + length > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + length));
    }
    System.arraycopy(bytes, from, pending, pendingLength, length);
    pendingLength += length;
  }

  /**
   * Decodes with the JDK's fast path, which replaces bad bytes with U+FFFD; only a line that then
   * holds U+FFFD (rare: a real one, or a repair) is decoded again strictly to tell which.
   */
  private String decode(byte[] bytes, int from, int length) {
    String line = new String(bytes, from, length, StandardCharsets.UTF_8);
    malformed = line.indexOf('\uFFFD') < 0 ? null : check(bytes, from, length);
    return line;
  }

  private String check(byte[] bytes, int from, int length) {
    if (strict == null) {
      strict = strictDecoder();
    }
    return firstBadByte(strict, bytes, from, length);
  }

  /**
   * Why {@code bytes}, an input that arrives whole (a stream message), are not valid UTF-8, or
   * null when they are.
   */
  public static String malformedIn(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    return text.indexOf('\uFFFD') < 0 ? null : firstBadByte(strictDecoder(), bytes, 0, bytes.length);
  }

  private static CharsetDecoder strictDecoder() {
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  private static String firstBadByte(CharsetDecoder decoder, byte[] bytes, int from, int length) {
    ByteBuffer in = ByteBuffer.wrap(bytes, from, length);
    CharBuffer out = CharBuffer.allocate(length);
    decoder.reset();
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    return r.isError() ? "invalid UTF-8 at byte " + (in.position() - from + 1) : null;
  }
}
