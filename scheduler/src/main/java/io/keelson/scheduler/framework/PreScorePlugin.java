package io.keelson.scheduler.framework;

import java.util.List;

/** Runs once per pod before Score, with the feasible nodes. */
public interface PreScorePlugin extends Plugin {
  Status preScore(CycleState state, PodInfo pod, List<NodeInfo> feasibleNodes);
}
