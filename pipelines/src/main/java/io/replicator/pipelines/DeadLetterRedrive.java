package io.replicator.pipelines;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * After a run that read dead letters again ({@code --changeFormat=dead-letters}) and ended well:
 * the files it read are moved into a {@code redriven/} folder beside them, kept but out of the
 * way, so the dead-letter folder holds only what is still rejected. A file the run wrote itself
 * (its letters rejected again, exactly as before, so it kept its name) stays where it is.
 */
final class DeadLetterRedrive {
  static final String FOLDER = "redriven";

  private DeadLetterRedrive() {}

  /**
   * Moves the files {@code pattern} matches, but those in {@code written}, to {@value #FOLDER}/.
   *
   * @return a line for the summary saying what was moved where
   */
  static String setAside(String pattern, List<String> written) {
    Set<String> keep = new HashSet<>();
    for (String w : written) {
      keep.add(FileSystems.matchNewResource(w, false).toString());
    }
    List<ResourceId> from = new ArrayList<>();
    List<ResourceId> to = new ArrayList<>();
    try {
      for (MatchResult.Metadata m : FileSystems.match(pattern, EmptyMatchTreatment.ALLOW).metadata()) {
        ResourceId file = m.resourceId();
        if (keep.contains(file.toString())) {
          continue;
        }
        ResourceId folder = file.getCurrentDirectory().resolve(FOLDER, ResolveOptions.StandardResolveOptions.RESOLVE_DIRECTORY);
        from.add(file);
        to.add(folder.resolve(file.getFilename(), ResolveOptions.StandardResolveOptions.RESOLVE_FILE));
      }
      if (from.isEmpty()) {
        return "";
      }
      FileSystems.rename(from, to, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new IllegalStateException("the dead letters were read again, but moving their files to " + FOLDER
          + "/ failed: " + e.getMessage(), e);
    }
    return String.format(java.util.Locale.ROOT, "  %-11s %d dead-letter %s read again, moved to %s%n", "redriven",
        from.size(), from.size() == 1 ? "file" : "files", to.get(0).getCurrentDirectory());
  }
}
