package io.keelson.scheduler.framework;

import java.util.HashMap;
import java.util.Map;

/**
 * Why a pod fits nowhere: the rejecting status per node (or one PreFilter rejection), rendered as
 * Kubernetes' "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) didn't match ...".
 */
public final class Diagnosis {
  private final Map<String, Status> nodeStatuses = new HashMap<>();
  private int totalNodes;
  private String preFilterMessage;
  private String postFilterMessage;

  public void setTotalNodes(int n) {
    this.totalNodes = n;
  }

  public int totalNodes() {
    return totalNodes;
  }

  public void record(String node, Status status) {
    nodeStatuses.put(node, status);
  }

  public Map<String, Status> nodeStatuses() {
    return nodeStatuses;
  }

  public void setPreFilterMessage(String m) {
    this.preFilterMessage = m;
  }

  public String preFilterMessage() {
    return preFilterMessage;
  }

  public void setPostFilterMessage(String m) {
    this.postFilterMessage = m;
  }

  /** The FailedScheduling message. */
  public String message() {
    StringBuilder sb = new StringBuilder();
    sb.append("0/").append(totalNodes).append(" nodes are available: ");
    if (preFilterMessage != null) {
      sb.append(preFilterMessage).append('.');
    } else if (totalNodes == 0) {
      sb.setLength(0);
      sb.append("no nodes available to schedule pods");
    } else {
      sb.append(histogram(nodeStatuses)).append('.');
    }
    if (postFilterMessage != null) {
      sb.append(" preemption: ").append(postFilterMessage);
    }
    return sb.toString();
  }

  /** "2 node(s) didn't match ..., 3 Insufficient cpu": "count reason" strings sorted, as kube-scheduler does. */
  public static String histogram(Map<String, Status> statuses) {
    HashMap<String, Integer> counts = new HashMap<>();
    for (Status s : statuses.values()) {
      for (String r : s.reasons()) {
        counts.merge(r, 1, Integer::sum);
      }
    }
    java.util.List<String> parts = new java.util.ArrayList<>(counts.size());
    counts.forEach((reason, n) -> parts.add(n + " " + reason));
    java.util.Collections.sort(parts);
    return String.join(", ", parts);
  }
}
