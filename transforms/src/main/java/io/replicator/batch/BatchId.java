package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.StagedLine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(table.getBytes(StandardCharsets.UTF_8));
    StringBuilder sb = new StringBuilder(256);
    for (Change c : changes) {
      sb.setLength(0);
      sb.append('\n').append(c.op().name()).append('\0').append(c.key()).append('\0')
          .append(c.sequence()).append('\0').append(c.rowJson());
      if (c.isPartial()) {
        sb.append('\0').append(c.unchanged());
      }
      sha.update(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    byte[] digest = sha.digest();
    return HexFormat.of().formatHex(digest, 0, StagedLine.BATCH_ID_LENGTH / 2);
  }
}
