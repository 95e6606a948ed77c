package io.keelson.e2e;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Running a command the way a user would type it, for journeys that need no cluster. */
final class Shell {
  private Shell() {}

  static KeelsonCluster.Result run(Duration timeout, List<String> cmd) {
    return KeelsonCluster.exec(timeout, cmd, null, Map.of());
  }

  static KeelsonCluster.Result run(Duration timeout, List<String> cmd, String stdin, Map<String, String> env) {
    return KeelsonCluster.exec(timeout, cmd, stdin, env);
  }
}
