package io.keelson.controller.replicaset;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.keelson.controller.pod.PodConditions;
import java.time.Instant;
import java.util.Comparator;

/**
 * The order in which a ReplicaSet gives up pods when scaling down (Kubernetes' ActivePods): the
 * cheapest to lose first — unscheduled before scheduled, Pending before Unknown before Running,
 * not-ready before ready, ready for less time before longer, more restarts before fewer, newer
 * before older.
 */
final class ActivePodsOrder implements Comparator<Pod> {
  static final ActivePodsOrder DELETE_FIRST = new ActivePodsOrder();

  @Override
  public int compare(Pod a, Pod b) {
    boolean sa = a.getSpec().getNodeName() != null && !a.getSpec().getNodeName().isEmpty();
    boolean sb = b.getSpec().getNodeName() != null && !b.getSpec().getNodeName().isEmpty();
    if (sa != sb) return sa ? 1 : -1;
    int pa = phaseRank(a), pb = phaseRank(b);
    if (pa != pb) return Integer.compare(pa, pb);
    boolean ra = PodConditions.isReady(a), rb = PodConditions.isReady(b);
    if (ra != rb) return ra ? 1 : -1;
    if (ra) {
      Instant ta = PodConditions.readySince(PodConditions.readyCondition(a));
      Instant tb = PodConditions.readySince(PodConditions.readyCondition(b));
      if (ta != null && tb != null && !ta.equals(tb)) return tb.compareTo(ta); // later = less time ready
    }
    int ca = restarts(a), cb = restarts(b);
    if (ca != cb) return Integer.compare(cb, ca);
    Instant ka = PodConditions.parseTime(a.getMetadata().getCreationTimestamp());
    Instant kb = PodConditions.parseTime(b.getMetadata().getCreationTimestamp());
    if (ka != null && kb != null && !ka.equals(kb)) return kb.compareTo(ka);
    return b.getMetadata().getName().compareTo(a.getMetadata().getName());
  }

  private static int phaseRank(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if (phase == null || phase.isEmpty() || "Pending".equals(phase)) return 0;
    if ("Unknown".equals(phase)) return 1;
    return 2;
  }

  private static int restarts(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) return 0;
    int max = 0;
    for (ContainerStatus s : p.getStatus().getContainerStatuses()) {
      if (s.getRestartCount() != null) max = Math.max(max, s.getRestartCount());
    }
    return max;
  }
}
