package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A directory as one side of a sync: a local one (read and written with {@code java.nio}, so
 * symbolic links are followed as {@code aws s3 sync} follows them by default, a download appears
 * whole under its name and gets the object's modification time as aws gives it), or one on any
 * other Beam filesystem ({@code gs://}), read and written through Beam's {@link FileSystems}. A
 * key is the file's path below the directory with {@code /} between names.
 *
 * @param root the directory, ending in {@code /}: an absolute local path, or a filesystem URI
 */
public record Directory(String root) implements SyncSide {
  /** Where a download is written before it takes its name, next to it (a dot file: hidden from shells). */
  static final String PARTIAL_SUFFIX = ".replicator-partial";

  /**
   * A directory from an option's value: a local path (relative to the working directory, or
   * {@code file://}) or a URI of a Beam filesystem such as {@code gs://bucket/dir}.
   */
  public static Directory parse(String option, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(option + " is empty");
    }
    String v = value.strip();
    int scheme = v.indexOf("://");
    if (scheme > 0 && !v.startsWith("file://")) {
      String dir = v.endsWith("/") ? v : v + "/";
      try {
        FileSystems.matchNewResource(dir, true);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + "='" + value + "': no filesystem for " + v.substring(0, scheme)
            + ":// is on the classpath (s3://, gs:// and local paths are)");
      }
      return new Directory(dir);
    }
    Charset names = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    if (!names.equals(StandardCharsets.UTF_8)) {
      throw new IllegalArgumentException(option + "='" + value + "': this JVM reads file names as " + names
          + ", so names with other characters would not survive; run it in a UTF-8 locale (LANG=C.UTF-8)");
    }
    Path path = Paths.get(v.startsWith("file://") ? v.substring("file://".length()) : v).toAbsolutePath().normalize();
    String dir = path.toString();
    return new Directory(dir.endsWith("/") ? dir : dir + "/");
  }

  public boolean isLocal() {
    return root.startsWith("/");
  }

  @Override
  public String describe() {
    return root;
  }

  /** Whether the directory exists (a missing source is an error; a missing target is made). */
  public boolean exists() throws IOException {
    if (isLocal()) {
      return Files.isDirectory(Paths.get(root));
    }
    return !FileSystems.match(root + "**", EmptyMatchTreatment.ALLOW).metadata().isEmpty()
        || !FileSystems.match(root.substring(0, root.length() - 1), EmptyMatchTreatment.ALLOW).metadata().isEmpty();
  }

  /**
   * Every file below the directory. A local file that cannot be read (a link to nothing, a loop, no
   * permission, not a regular file) is listed as {@link ObjectInfo#unreadable}, so it is reported
   * and its key at the other side is never deleted; a directory that cannot be read stops the
   * listing (the keys below it are unknown, and a sync with {@code --delete} would take them for gone).
   */
  public void list(Consumer<ObjectInfo> out) throws IOException {
    if (!isLocal()) {
      MatchResult match = FileSystems.match(root + "**", EmptyMatchTreatment.ALLOW);
      for (MatchResult.Metadata m : match.metadata()) {
        String name = m.resourceId().toString();
        if (!m.resourceId().isDirectory() && name.startsWith(root) && name.length() > root.length()) {
          out.accept(new ObjectInfo(name.substring(root.length()), m.sizeBytes(), "", m.lastModifiedMillis(),
              ObjectInfo.STANDARD));
        }
      }
      return;
    }
    Path top = Paths.get(root);
    Files.walkFileTree(top, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        String key = keyOf(top, file);
        if (attrs.isRegularFile()) {
          out.accept(new ObjectInfo(key, attrs.size(), "", attrs.lastModifiedTime().toMillis(), ObjectInfo.STANDARD));
        } else if (attrs.isSymbolicLink()) {
          out.accept(ObjectInfo.unreadable(key, "a symbolic link to nothing"));
        } else {
          out.accept(ObjectInfo.unreadable(key, "not a regular file (a device, socket or pipe)"));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (Files.isDirectory(file)) {
          throw new IOException("cannot list the directory " + file + ": " + reason(e), e);
        }
        out.accept(ObjectInfo.unreadable(keyOf(top, file), reason(e)));
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static String keyOf(Path top, Path file) {
    return top.relativize(file).toString().replace(java.io.File.separatorChar, '/');
  }

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.FileSystemLoopException) {
      return "a symbolic link loop";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "removed while listed";
    }
    return e.getMessage();
  }

  /** The file of {@code key} as it is now (size and modification time), to see whether it changed. */
  public ObjectInfo current(String key) throws IOException {
    if (isLocal()) {
      BasicFileAttributes a = Files.readAttributes(local(key), BasicFileAttributes.class);
      return new ObjectInfo(key, a.size(), "", a.lastModifiedTime().toMillis(), ObjectInfo.STANDARD);
    }
    MatchResult.Metadata m = FileSystems.matchSingleFileSpec(root + key);
    return new ObjectInfo(key, m.sizeBytes(), "", m.lastModifiedMillis(), ObjectInfo.STANDARD);
  }

  public InputStream open(String key) throws IOException {
    if (isLocal()) {
      return Files.newInputStream(local(key));
    }
    return Channels.newInputStream(FileSystems.open(resource(key)));
  }

  /** What writes a file's bytes. */
  @FunctionalInterface
  public interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes the file of {@code key}. A local file is written beside its name and moved into place
   * once whole (a failed write leaves the old file as it was), its parent directories made, its
   * modification time set to {@code lastModified} as aws sets a download's; other filesystems make
   * an object whole when it is closed.
   */
  public void write(String key, long lastModified, String mimeType, Body body) throws IOException {
    if (!isLocal()) {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(resource(key),
          CreateOptions.StandardCreateOptions.builder().setMimeType(mimeType).build()))) {
        body.writeTo(out);
      }
      return;
    }
    Path file = local(key);
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + PARTIAL_SUFFIX);
    try {
      try (OutputStream out = Files.newOutputStream(partial)) {
        body.writeTo(out);
      }
      Files.setLastModifiedTime(partial, FileTime.fromMillis(lastModified));
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  public void delete(String key) throws IOException {
    if (isLocal()) {
      Files.delete(local(key));
    } else {
      FileSystems.delete(List.of(resource(key)));
    }
  }

  /**
   * The local path of {@code key}. A key that cannot name a file below the directory (an empty,
   * {@code .} or {@code ..} name, which S3 allows) is refused: written as it is, it would land
   * somewhere else.
   */
  Path local(String key) throws IOException {
    for (String name : key.split("/", -1)) {
      if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('\0') >= 0) {
        throw new UnfitKeyException("the key '" + key + "' has a name that cannot be a file name here"
            + " (an empty, '.' or '..' name)");
      }
    }
    return Paths.get(root, key);
  }

  private ResourceId resource(String key) {
    return FileSystems.matchNewResource(root + key, false);
  }

  /** A key that names no file below the directory; copying it again would not help. */
  public static final class UnfitKeyException extends IOException {
    UnfitKeyException(String message) {
      super(message);
    }
  }
}
