package io.keelson.scheduler.plugins.tainttoleration;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.FilterPlugin;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.ScorePlugin;
import io.keelson.scheduler.framework.Status;
import java.util.List;

/**
 * Keeps pods off nodes with NoSchedule/NoExecute taints they do not tolerate (Filter) and prefers
 * nodes with fewer untolerated PreferNoSchedule taints (Score).
 */
public final class TaintToleration implements FilterPlugin, ScorePlugin {
  public static final String NAME = "TaintToleration";
  public static final String REASON_UNTOLERATED_FMT = "node(s) had untolerated taint {%s: %s}";
  public static final Plugin.Factory FACTORY = h -> new TaintToleration();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Status filter(CycleState state, PodInfo pod, NodeInfo node) {
    List<Taint> taints = node.taints();
    for (int i = 0; i < taints.size(); i++) {
      Taint t = taints.get(i);
      if (("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()))
          && !toleratedBy(t, pod.tolerations())) {
        return Status.unresolvable(
            String.format(REASON_UNTOLERATED_FMT, t.getKey(), t.getValue() == null ? "" : t.getValue()));
      }
    }
    return Status.SUCCESS;
  }

  @Override
  public long score(CycleState state, PodInfo pod, NodeInfo node) {
    long count = 0;
    for (Taint t : node.taints()) {
      if ("PreferNoSchedule".equals(t.getEffect()) && !toleratedBy(t, pod.tolerations())) {
        count++;
      }
    }
    return count;
  }

  @Override
  public void normalizeScore(CycleState state, PodInfo pod, long[] scores, int n) {
    ScorePlugin.defaultNormalize(scores, n, true);
  }

  public static boolean toleratedBy(Taint taint, List<Toleration> tolerations) {
    for (int i = 0; i < tolerations.size(); i++) {
      if (tolerates(tolerations.get(i), taint)) {
        return true;
      }
    }
    return false;
  }

  /** core/v1 Toleration.ToleratesTaint. */
  public static boolean tolerates(Toleration tol, Taint taint) {
    String effect = tol.getEffect();
    if (effect != null && !effect.isEmpty() && !effect.equals(taint.getEffect())) {
      return false;
    }
    String key = tol.getKey();
    if (key != null && !key.isEmpty() && !key.equals(taint.getKey())) {
      return false;
    }
    String op = tol.getOperator();
    if ("Exists".equals(op)) {
      return true;
    }
    if (op == null || op.isEmpty() || "Equal".equals(op)) {
      if (key == null || key.isEmpty()) {
        return false; // an empty key only tolerates everything with Exists
      }
      String tv = tol.getValue() == null ? "" : tol.getValue();
      String v = taint.getValue() == null ? "" : taint.getValue();
      return tv.equals(v);
    }
    return false;
  }
}
