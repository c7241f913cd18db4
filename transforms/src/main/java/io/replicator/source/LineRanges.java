package io.replicator.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;

/**
 * Byte ranges of a line-delimited file, so that one large file is decoded by several workers: a
 * range owns the lines that start in it (a line starts at byte 0 or after a line feed), as Beam's
 * TextIO splits files. Only uncompressed files split; CSV never does (a quoted field may hold a
 * line feed).
 */
final class LineRanges {
  /** Opens the file, from its first byte, each time it is called. */
  interface Opener {
    SeekableByteChannel open() throws IOException;
  }

  private LineRanges() {}

  /** The first line start at or after {@code start} (> 0): the byte after the first line feed from {@code start - 1}. */
  static long nextLineStart(SeekableByteChannel channel, long start) throws IOException {
    long pos = start - 1;
    channel.position(pos);
    ByteBuffer buffer = ByteBuffer.allocate(1 << 13);
    while (true) {
      buffer.clear();
      int n = channel.read(buffer);
      if (n < 0) {
        return channel.size();
      }
      for (int i = 0; i < n; i++) {
        if (buffer.get(i) == '\n') {
          return pos + i + 1;
        }
      }
      pos += n;
    }
  }

  /**
   * The bytes of {@code in} (positioned at {@code first}) up to and including the line feed that
   * ends the last line starting before {@code end}.
   */
  static InputStream through(InputStream in, long first, long end) {
    return new FilterInputStream(in) {
      private final byte[] one = new byte[1];
      private long pos = first;
      private boolean done = first >= end;

      @Override
      public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (done) {
          return -1;
        }
        int n = in.read(b, off, len);
        if (n <= 0) {
          return n;
        }
        // Bytes before end-1 are ours whatever they are; from there, up to the first line feed.
        int from = (int) Math.max(0, Math.min(n, end - 1 - pos));
        for (int i = off + from; i < off + n; i++) {
          if (b[i] == '\n') {
            done = true;
            n = i - off + 1;
            break;
          }
        }
        pos += n;
        return n;
      }
    };
  }

  /** Lines in the first {@code upTo} bytes of the file, counted as {@link Utf8Lines} counts them. */
  static long countLines(Opener file, long upTo) {
    try (InputStream in = Channels.newInputStream(file.open())) {
      byte[] buffer = new byte[1 << 16];
      long lines = 0;
      long left = upTo;
      boolean afterCr = false;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          break;
        }
        for (int i = 0; i < n; i++) {
          byte b = buffer[i];
          if (b == '\r') {
            lines++;
            afterCr = true;
          } else {
            if (b == '\n' && !afterCr) {
              lines++;
            }
            afterCr = false;
          }
        }
        left -= n;
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot count the lines before a range of the file", e);
    }
  }
}
