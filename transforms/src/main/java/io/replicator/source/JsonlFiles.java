package io.replicator.source;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * JSONL files on any Beam filesystem: read line by line, or written whole at once (writing again
 * replaces the file).
 */
public final class JsonlFiles {
  private JsonlFiles() {}

  /**
   * A reader of a matched file's text, decompressed as Beam knows how. Malformed UTF-8 becomes
   * U+FFFD rather than failing the file: the line then fails its type checks or is kept with the
   * replacement character, never dropped.
   */
  public static BufferedReader lines(FileIO.ReadableFile file) throws IOException {
    return new BufferedReader(Channels.newReader(file.open(), StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE), 1 << 16), 1 << 16);
  }

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
