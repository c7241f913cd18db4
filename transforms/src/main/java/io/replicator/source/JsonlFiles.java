package io.replicator.source;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * JSONL files on any Beam filesystem, written whole at once (writing again replaces the file);
 * {@link Utf8Lines} reads them.
 */
public final class JsonlFiles {
  private JsonlFiles() {}

  /** Writes {@code lines} to {@code directory/name}; returns the file's path. */
  public static String write(String directory, String name, Iterable<String> lines) throws IOException {
    ResourceId file = FileSystems.matchNewResource(directory, true).resolve(name, StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream os = Channels.newOutputStream(FileSystems.create(file, MimeTypes.TEXT))) {
      for (String line : lines) {
        os.write(line.getBytes(StandardCharsets.UTF_8));
        os.write('\n');
      }
    }
    return file.toString();
  }
}
