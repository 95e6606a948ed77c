package io.keelson.scheduler.plugins.defaultpreemption;

import io.keelson.scheduler.framework.Code;
import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.Diagnosis;
import io.keelson.scheduler.framework.Framework;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.Plugin;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.framework.PostFilterPlugin;
import io.keelson.scheduler.framework.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Priority preemption, run when no node fits. On each node that failed only for resolvable reasons,
 * simulate removing every lower-priority pod; if the pod then fits, add victims back from the most
 * important down while it still fits (reprieve), leaving the minimal set. Pick the node whose
 * victims are least important (lowest top priority, then lowest sum, then fewest), evict them and
 * nominate that node for the pod.
 */
public final class DefaultPreemption implements PostFilterPlugin {
  public static final String NAME = "DefaultPreemption";
  public static final String REASON_NOT_HELPFUL = "Preemption is not helpful for scheduling";
  public static final String REASON_NO_VICTIMS = "No preemption victims found for incoming pod";
  public static final String REASON_POLICY_NEVER = "not eligible due to preemptionPolicy=Never.";
  public static final String REASON_TERMINATING = "not eligible due to a terminating pod on the nominated node.";
  /** kube's minCandidateNodesPercentage / minCandidateNodesAbsolute. */
  static final int MIN_CANDIDATE_PERCENTAGE = 10;
  static final int MIN_CANDIDATE_ABSOLUTE = 100;
  public static final Plugin.Factory FACTORY = DefaultPreemption::new;

  private static final Status NOT_HELPFUL = Status.unresolvable(REASON_NOT_HELPFUL);
  private static final Status NO_VICTIMS = Status.unschedulable(REASON_NO_VICTIMS);

  private final Handle handle;

  public DefaultPreemption(Handle handle) {
    this.handle = handle;
  }

  /** A node and the pods that would have to go for the preemptor to fit. */
  public record Candidate(String node, List<PodInfo> victims) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Result postFilter(CycleState state, PodInfo pod, Diagnosis diagnosis) {
    if ("Never".equals(pod.pod().getSpec().getPreemptionPolicy())) {
      return new Result(null, Status.unschedulable(REASON_POLICY_NEVER));
    }
    if (terminatingVictimsOnNominatedNode(pod)) {
      return new Result(null, Status.unschedulable(REASON_TERMINATING));
    }
    Map<String, Status> statuses = new HashMap<>();
    Candidate best = findBestCandidate(state, pod, diagnosis, statuses);
    if (best == null) {
      return new Result(null, Status.unschedulable(
          "0/" + diagnosis.totalNodes() + " nodes are available: " + Diagnosis.histogram(statuses) + "."));
    }
    for (PodInfo v : best.victims()) {
      handle.api().evict(v.pod(), pod.key(), best.node());
    }
    return new Result(best.node(), Status.SUCCESS);
  }

  private boolean terminatingVictimsOnNominatedNode(PodInfo pod) {
    var st = pod.pod().getStatus();
    String nominated = st == null ? null : st.getNominatedNodeName();
    if (nominated == null || nominated.isEmpty()) {
      return false;
    }
    NodeInfo n = handle.snapshot().get(nominated);
    if (n == null) {
      return false;
    }
    for (PodInfo p : n.pods()) {
      if (p.priority() < pod.priority() && p.pod().getMetadata().getDeletionTimestamp() != null) {
        return true;
      }
    }
    return false;
  }

  /** Dry-runs preemption over candidate nodes; fills statuses for the message. Null if none works. */
  public Candidate findBestCandidate(CycleState state, PodInfo pod, Diagnosis diagnosis, Map<String, Status> statuses) {
    List<NodeInfo> nodes = handle.snapshot().list();
    int all = nodes.size();
    int wanted = Math.max(MIN_CANDIDATE_ABSOLUTE, all * MIN_CANDIDATE_PERCENTAGE / 100);
    int offset = all == 0 ? 0 : ThreadLocalRandom.current().nextInt(all);
    List<Candidate> candidates = new ArrayList<>();
    Framework fw = handle.framework();
    for (int i = 0; i < all && candidates.size() < wanted; i++) {
      NodeInfo n = nodes.get((offset + i) % all);
      Status s = diagnosis.nodeStatuses().get(n.name());
      if (s != null && s.code() == Code.UNSCHEDULABLE_AND_UNRESOLVABLE) {
        statuses.put(n.name(), NOT_HELPFUL);
        continue;
      }
      List<PodInfo> victims = selectVictimsOnNode(fw, state.copy(), pod, n.copy());
      if (victims == null || victims.isEmpty()) {
        statuses.put(n.name(), NO_VICTIMS);
        continue;
      }
      candidates.add(new Candidate(n.name(), victims));
    }
    if (candidates.isEmpty()) {
      return null;
    }
    return pick(candidates);
  }

  /** Minimal set of lower-priority pods whose removal lets the pod fit on the node; null if impossible. */
  static List<PodInfo> selectVictimsOnNode(Framework fw, CycleState state, PodInfo pod, NodeInfo node) {
    List<PodInfo> lower = new ArrayList<>();
    for (PodInfo p : node.pods()) {
      if (p.priority() < pod.priority()) {
        lower.add(p);
      }
    }
    if (lower.isEmpty()) {
      return null;
    }
    for (PodInfo p : lower) {
      node.removePod(p);
      fw.runRemovePod(state, pod, p, node);
    }
    if (!fw.runFilter(state, pod, node).isSuccess()) {
      return null;
    }
    lower.sort(Comparator.comparingInt(PodInfo::priority).reversed());
    List<PodInfo> victims = new ArrayList<>();
    for (PodInfo p : lower) {
      node.addPod(p);
      fw.runAddPod(state, pod, p, node);
      if (!fw.runFilter(state, pod, node).isSuccess()) {
        node.removePod(p);
        fw.runRemovePod(state, pod, p, node);
        victims.add(p);
      }
    }
    return victims;
  }

  static Candidate pick(List<Candidate> candidates) {
    Comparator<Candidate> order =
        Comparator.<Candidate>comparingInt(c -> c.victims().stream().mapToInt(PodInfo::priority).max().orElse(Integer.MIN_VALUE))
            .thenComparingLong(c -> c.victims().stream().mapToLong(PodInfo::priority).sum())
            .thenComparingInt(c -> c.victims().size());
    return candidates.stream().min(order).orElseThrow();
  }
}
