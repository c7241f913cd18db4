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
    for (Change c : changes) {
      sha.update((byte) '\n');
      sha.update((byte) c.op().ordinal());
      sha.update(c.key().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      for (int i = 0; i < c.sequence().width(); i++) {
        long part = c.sequence().part(i);
        for (int b = 56; b >= 0; b -= 8) {
          sha.update((byte) (part >>> b));
        }
      }
      sha.update((byte) 0);
      sha.update(c.rowUtf8());
      if (c.isPartial()) {
        sha.update((byte) 0);
        sha.update(c.unchanged().getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] digest = sha.digest();
    return HexFormat.of().formatHex(digest, 0, StagedLine.BATCH_ID_LENGTH / 2);
  }
}
