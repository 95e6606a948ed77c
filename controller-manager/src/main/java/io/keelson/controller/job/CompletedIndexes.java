package io.keelson.controller.job;

import java.util.SortedSet;
import java.util.TreeSet;

/**
 * {@code status.completedIndexes} and {@code status.failedIndexes} of an Indexed Job: "1,3-5,7",
 * runs of three or more consecutive indexes as ranges.
 */
final class CompletedIndexes {
  private CompletedIndexes() {}

  static SortedSet<Integer> parse(String s) {
    SortedSet<Integer> out = new TreeSet<>();
    if (s == null || s.isBlank()) return out;
    for (String part : s.split(",")) {
      part = part.trim();
      if (part.isEmpty()) continue;
      try {
        int dash = part.indexOf('-');
        if (dash < 0) {
          out.add(Integer.parseInt(part));
        } else {
          int from = Integer.parseInt(part.substring(0, dash)), to = Integer.parseInt(part.substring(dash + 1));
          for (int i = from; i <= to; i++) out.add(i);
        }
      } catch (NumberFormatException e) {
        // kube ignores what it cannot read
      }
    }
    return out;
  }

  /** kube's orderedIntervals.String(): runs as "a-b", but two neighbours as "a,b". */
  static String format(SortedSet<Integer> indexes) {
    StringBuilder b = new StringBuilder();
    Integer start = null, prev = null;
    for (int i : indexes) {
      if (prev != null && i == prev + 1) {
        prev = i;
        continue;
      }
      if (start != null) append(b, start, prev);
      start = i;
      prev = i;
    }
    if (start != null) append(b, start, prev);
    return b.toString();
  }

  private static void append(StringBuilder b, int from, int to) {
    if (b.length() > 0) b.append(',');
    b.append(from);
    if (to > from) b.append(to == from + 1 ? ',' : '-').append(to);
  }
}
