package io.replicator.s3;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --include}/{@code --exclude} with {@code aws s3 sync} semantics: every key is included
 * unless a rule says otherwise, rules apply in the order given and the last one that matches
 * wins. Patterns match the key relative to the source (or target) prefix: {@code *} matches any
 * characters, {@code /} included, {@code ?} one character, {@code [abc]}/{@code [!abc]} a set.
 */
public final class KeyFilter implements Serializable {
  /** One rule: include or exclude what matches the glob. */
  public record Rule(boolean include, String glob) implements Serializable {}

  private final List<Rule> rules;
  private transient List<Pattern> patterns;

  public KeyFilter(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  public static final KeyFilter NONE = new KeyFilter(List.of());

  public boolean includes(String key) {
    if (patterns == null) {
      List<Pattern> compiled = new ArrayList<>();
      for (Rule r : rules) {
        compiled.add(Pattern.compile(regex(r.glob()), Pattern.DOTALL));
      }
      patterns = compiled;
    }
    boolean included = true;
    for (int i = 0; i < rules.size(); i++) {
      if (patterns.get(i).matcher(key).matches()) {
        included = rules.get(i).include();
      }
    }
    return included;
  }

  /** The glob as a regular expression, as Python's fnmatch (which aws uses) translates it. */
  static String regex(String glob) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        sb.append(".*");
      } else if (c == '?') {
        sb.append('.');
      } else if (c == '[') {
        int end = glob.indexOf(']', i + 2);
        if (end < 0) {
          sb.append("\\[");
          continue;
        }
        String set = glob.substring(i + 1, end);
        sb.append('[').append(set.startsWith("!") ? "^" + escapeSet(set.substring(1)) : escapeSet(set)).append(']');
        i = end;
      } else {
        sb.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return sb.toString();
  }

  private static String escapeSet(String set) {
    return set.replace("\\", "\\\\").replace("[", "\\[").replace("&&", "\\&\\&");
  }
}
