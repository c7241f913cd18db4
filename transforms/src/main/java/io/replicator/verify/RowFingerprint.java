package io.replicator.verify;

/**
 * A 64-bit hash of a row's canonical JSON. Summed over a group of rows it fingerprints the group
 * whatever the order of its rows: equal groups have equal sums, and a differing row changes it.
 */
public final class RowFingerprint {
  private RowFingerprint() {}

  public static long of(String canonicalRowJson) {
    long h = 0xcbf29ce484222325L; // FNV-1a over the chars, then a MurmurHash3 finaliser to spread it
    for (int i = 0, n = canonicalRowJson.length(); i < n; i++) {
      h ^= canonicalRowJson.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb93fe1a85ec3L;
    h ^= h >>> 33;
    return h;
  }
}
