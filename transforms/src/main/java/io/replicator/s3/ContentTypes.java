package io.replicator.s3;

import java.net.URLConnection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The content type of an uploaded file, guessed from its name as {@code aws s3 sync} guesses it
 * (Python's {@code mimetypes}): by the last extension, or the one before a compression extension
 * ({@code orders.csv.gz} is {@code text/csv}); none where nothing is known, so S3 gives its default.
 */
final class ContentTypes {
  /** Compression extensions: they say how a file is encoded, not what it holds. */
  private static final Set<String> ENCODINGS = Set.of("gz", "bz2", "xz", "br", "z", "zst");
  /** Types of data files the JDK's table lacks or names otherwise than Python does. */
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("csv", "text/csv"), Map.entry("tsv", "text/tab-separated-values"), Map.entry("txt", "text/plain"),
      Map.entry("json", "application/json"), Map.entry("xml", "text/xml"), Map.entry("html", "text/html"),
      Map.entry("htm", "text/html"), Map.entry("css", "text/css"), Map.entry("js", "text/javascript"),
      Map.entry("md", "text/markdown"), Map.entry("pdf", "application/pdf"), Map.entry("zip", "application/zip"),
      Map.entry("tar", "application/x-tar"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
      Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("svg", "image/svg+xml"),
      Map.entry("webp", "image/webp"), Map.entry("mp4", "video/mp4"), Map.entry("mp3", "audio/mpeg"),
      Map.entry("wasm", "application/wasm"));

  private ContentTypes() {}

  /** The type for a key's file name, or null. */
  static String guess(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    String[] parts = name.split("\\.");
    int last = parts.length - 1;
    if (last >= 1 && ENCODINGS.contains(parts[last])) {
      last--;
    }
    if (last < 1) {
      return null;
    }
    String type = TYPES.get(parts[last]);
    return type != null ? type : URLConnection.getFileNameMap().getContentTypeFor("x." + parts[last]);
  }
}
