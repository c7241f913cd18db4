package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.StagedLine;
import io.replicator.common.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * A batch's id: the first 64 bits of a SHA-256 of its table and its changes in key order. The same
 * changes get the same id in every run, which is what lets a warehouse recognise a batch it has
 * already applied.
 */
public final class BatchId {
  private BatchId() {}

  public static String of(String table, List<Change> changes) {
    MessageDigest sha = Sha256.digest();
    sha.update(table.getBytes(StandardCharsets.UTF_8));
    // Each change's bytes before its row, gathered for one update: a digest update per byte cost
    // more than hashing the row.
    byte[] head = new byte[64];
    for (Change c : changes) {
      String key = c.key();
      int width = c.sequence().width();
      int size = 2 + 3 * key.length() + 1 + 8 * width + 1;
      if (head.length < size) {
        head = new byte[Math.max(size, 2 * head.length)];
      }
      int at = 0;
      head[at++] = '\n';
      head[at++] = (byte) c.op().ordinal();
      at = putUtf8(key, head, at);
      head[at++] = 0;
      for (int i = 0; i < width; i++) {
        long part = c.sequence().part(i);
        for (int b = 56; b >= 0; b -= 8) {
          head[at++] = (byte) (part >>> b);
        }
      }
      head[at++] = 0;
      sha.update(head, 0, at);
      sha.update(c.rowUtf8());
      if (c.isPartial()) {
        sha.update((byte) 0);
        sha.update(c.unchanged().getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] digest = sha.digest();
    return HexFormat.of().formatHex(digest, 0, StagedLine.BATCH_ID_LENGTH / 2);
  }

  /**
   * Writes {@code s}'s UTF-8 bytes at {@code at} (room for three bytes a char is the caller's);
   * returns the position after them. ASCII byte by byte, anything else as the JDK encodes it.
   */
  private static int putUtf8(String s, byte[] to, int at) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char ch = s.charAt(i);
      if (ch >= 0x80) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(utf8, 0, to, at - i, utf8.length);
        return at - i + utf8.length;
      }
      to[at++] = (byte) ch;
    }
    return at;
  }
}
