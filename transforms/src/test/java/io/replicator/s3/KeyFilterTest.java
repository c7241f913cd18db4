package io.replicator.s3;

import static org.junit.Assert.assertEquals;

import java.util.List;
import org.junit.Test;

/** Filters as {@code aws s3 sync} applies them: everything in, rules in order, the last match wins. */
public class KeyFilterTest {
  private static KeyFilter rules(Object... includeGlobPairs) {
    List<KeyFilter.Rule> rules = new java.util.ArrayList<>();
    for (int i = 0; i < includeGlobPairs.length; i += 2) {
      rules.add(new KeyFilter.Rule((Boolean) includeGlobPairs[i], (String) includeGlobPairs[i + 1]));
    }
    return new KeyFilter(rules);
  }

  @Test
  public void everythingIsIncludedWithoutRules() {
    assertEquals(true, KeyFilter.NONE.includes("any/key.txt"));
  }

  @Test
  public void theLastMatchingRuleWins() {
    KeyFilter f = rules(false, "*", true, "*.txt");
    assertEquals(true, f.includes("a/b.txt"));
    assertEquals(false, f.includes("a/b.csv"));
    KeyFilter reversed = rules(true, "*.txt", false, "*");
    assertEquals(false, reversed.includes("a/b.txt"));
  }

  @Test
  public void starCrossesSlashesAndTheOtherWildcardsWorkAsFnmatch() {
    assertEquals(false, rules(false, "logs/*").includes("logs/2024/01/x.gz"));
    assertEquals(false, rules(false, "file?.txt").includes("file1.txt"));
    assertEquals(true, rules(false, "file?.txt").includes("file10.txt"));
    assertEquals(false, rules(false, "[abc]*").includes("b-key"));
    assertEquals(true, rules(false, "[!abc]*").includes("b-key"));
    assertEquals(false, rules(false, "[!abc]*").includes("d-key"));
  }

  @Test
  public void regexCharactersInAGlobAreLiteral() {
    assertEquals(false, rules(false, "a+b (1).txt").includes("a+b (1).txt"));
    assertEquals(true, rules(false, "a+b (1).txt").includes("aab (1).txt"));
    assertEquals(false, rules(false, "per%20cent.*").includes("per%20cent.txt"));
    assertEquals(false, rules(false, "한국어/*").includes("한국어/파일.csv"));
  }
}
