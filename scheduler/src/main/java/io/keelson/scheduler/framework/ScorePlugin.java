package io.keelson.scheduler.framework;

/** Ranks feasible nodes: score() per node, then normalizeScore() over all of them, 0..100. */
public interface ScorePlugin extends Plugin {
  long MAX_NODE_SCORE = 100;
  long MIN_NODE_SCORE = 0;

  long score(CycleState state, PodInfo pod, NodeInfo node);

  /** Rescales scores[0..n) in place into 0..MAX_NODE_SCORE. Default: already normalized. */
  default void normalizeScore(CycleState state, PodInfo pod, long[] scores, int n) {}

  /**
   * Scales to 0..100, optionally reversed (lower raw score is better), like kube-scheduler's
   * helper.DefaultNormalizeScore.
   */
  static void defaultNormalize(long[] scores, int n, boolean reverse) {
    long max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, scores[i]);
    }
    if (max == 0) {
      if (reverse) {
        for (int i = 0; i < n; i++) {
          scores[i] = MAX_NODE_SCORE;
        }
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      long s = MAX_NODE_SCORE * scores[i] / max;
      scores[i] = reverse ? MAX_NODE_SCORE - s : s;
    }
  }
}
