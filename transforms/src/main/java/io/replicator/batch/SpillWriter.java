package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.source.ChangeSpill;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Appends changes to spill files as they come, one file per batch of whole keys ({@link
 * StageBatches#batchKey}: batch and table) under a directory, for {@link StageBatches#spilled} to
 * reduce one batch at a time: how a read keeps what it produces out of memory. One writer per
 * attempt at a piece of work, its files named by a fresh id: a retried attempt writes new files,
 * and only the files of the attempt that succeeded are passed on.
 *
 * <pre>{@code
 * try (SpillWriter spill = new SpillWriter(16, directory)) {
 *   read.forEach(spill::write);
 *   spill.finish().forEach((batchKey, file) -> out.output(KV.of(batchKey, file)));
 * }
 * }</pre>
 */
public final class SpillWriter implements ChangeSpill.Writer {
  private final int batches;
  private final String directory;
  private final String attempt = UUID.randomUUID().toString();
  private final Map<String, Spill> open = new HashMap<>();

  public SpillWriter(int batches, String directory) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    this.batches = batches;
    this.directory = directory;
  }

  /** A new writer for each attempt, into {@code batches} batches under {@code directory}. */
  public static ChangeSpill into(int batches, String directory) {
    if (batches < 1) {
      throw new IllegalArgumentException("at least one batch, got " + batches);
    }
    return () -> new SpillWriter(batches, directory);
  }

  @Override
  public void write(Change c) {
    String key = StageBatches.batchKey(c, batches);
    Spill spill = open.get(key);
    if (spill == null) {
      spill = Spill.create(file(key));
      open.put(key, spill);
    }
    spill.write(c);
  }

  @Override
  public Map<String, String> finish() throws IOException {
    Map<String, String> files = new HashMap<>();
    for (Map.Entry<String, Spill> e : open.entrySet()) {
      e.getValue().close();
      files.put(e.getKey(), e.getValue().file.toString());
    }
    open.clear();
    return files;
  }

  @Override
  public void close() throws IOException {
    for (Spill spill : open.values()) {
      spill.close();
    }
    open.clear();
  }

  /** {@code <directory>/<batch>/<attempt>-<table>.changes}: tables of one batch number apart. */
  private ResourceId file(String batchKey) {
    int colon = batchKey.indexOf(':');
    return FileSystems.matchNewResource(directory, true)
        .resolve(batchKey.substring(0, colon), StandardResolveOptions.RESOLVE_DIRECTORY)
        .resolve(attempt + "-" + StagingPaths.safeName(batchKey.substring(colon + 1)) + ".changes",
            StandardResolveOptions.RESOLVE_FILE);
  }

  /** One open spill file: changes as {@link ChangeCoder} writes them, back to back. */
  private static final class Spill {
    final ResourceId file;
    private final OutputStream out;

    private Spill(ResourceId file, OutputStream out) {
      this.file = file;
      this.out = out;
    }

    static Spill create(ResourceId file) {
      // A stream stages earlier polls' files while it spills the next ones, and staging removes a
      // bucket's directory once it has emptied it: the directory may go between the file system
      // creating it and opening the file in it. Created again, it stays (the file is in it).
      for (int attempt = 1; ; attempt++) {
        try {
          return new Spill(file, new BufferedOutputStream(Channels.newOutputStream(
              FileSystems.create(file, "application/octet-stream")), 1 << 16));
        } catch (FileNotFoundException | NoSuchFileException e) {
          if (attempt == 5) {
            throw new UncheckedIOException("cannot create the spill file " + file, e);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create the spill file " + file, e);
        }
      }
    }

    void write(Change c) {
      try {
        ChangeCoder.of().encode(c, out);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the spill file " + file, e);
      }
    }

    void close() throws IOException {
      out.close();
    }
  }
}
