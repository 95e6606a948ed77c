package io.keelson.controller.job;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnExitCodesRequirement;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnPodConditionsPattern;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import java.util.ArrayList;
import java.util.List;

/**
 * A Job's {@code spec.podFailurePolicy} applied to one failed pod (kube's matchPodFailurePolicy):
 * the first rule whose exit codes (non-zero ones, of the named container or any) or pod
 * conditions match decides — FailJob fails the Job with a message naming the rule, Ignore does
 * not count the failure against backoffLimit, Count does, and FailIndex counts it and fails the
 * pod's index at once (with backoffLimitPerIndex, which the api-server requires for it).
 */
final class PodFailurePolicies {
  /** The matching rule's verdict: a FailJob message (else null), whether the failure counts, whether it fails the index. */
  record Verdict(String failJobMessage, boolean counts, boolean failIndex) {}

  static final Verdict NO_MATCH = new Verdict(null, true, false);

  private PodFailurePolicies() {}

  static Verdict match(PodFailurePolicy policy, Pod pod) {
    if (policy == null || policy.getRules() == null) return NO_MATCH;
    List<PodFailurePolicyRule> rules = policy.getRules();
    for (int i = 0; i < rules.size(); i++) {
      PodFailurePolicyRule rule = rules.get(i);
      String what = null;
      if (rule.getOnExitCodes() != null) {
        ContainerStatus c = matchingContainer(rule.getOnExitCodes(), pod);
        if (c != null) {
          what = "Container " + c.getName() + " for pod " + ref(pod) + " failed with exit code "
              + c.getState().getTerminated().getExitCode() + " matching " + rule.getAction() + " rule at index " + i;
        }
      } else if (rule.getOnPodConditions() != null) {
        String type = matchingCondition(rule.getOnPodConditions(), pod);
        if (type != null) {
          what = "Pod " + ref(pod) + " has condition " + type + " matching " + rule.getAction() + " rule at index " + i;
        }
      }
      if (what == null) continue;
      return switch (rule.getAction()) {
        case "FailJob" -> new Verdict(what, true, false);
        case "Ignore" -> new Verdict(null, false, false);
        case "FailIndex" -> new Verdict(null, true, true);
        default -> NO_MATCH; // Count
      };
    }
    return NO_MATCH;
  }

  private static ContainerStatus matchingContainer(PodFailurePolicyOnExitCodesRequirement req, Pod pod) {
    if (pod.getStatus() == null) return null;
    List<ContainerStatus> all = new ArrayList<>();
    if (pod.getStatus().getInitContainerStatuses() != null) all.addAll(pod.getStatus().getInitContainerStatuses());
    if (pod.getStatus().getContainerStatuses() != null) all.addAll(pod.getStatus().getContainerStatuses());
    List<Integer> values = req.getValues() == null ? List.of() : req.getValues();
    for (ContainerStatus c : all) {
      if (req.getContainerName() != null && !req.getContainerName().equals(c.getName())) continue;
      if (c.getState() == null || c.getState().getTerminated() == null) continue;
      Integer code = c.getState().getTerminated().getExitCode();
      if (code == null || code == 0) continue;
      boolean in = values.contains(code);
      if ("In".equals(req.getOperator()) ? in : !in) return c;
    }
    return null;
  }

  private static String matchingCondition(List<PodFailurePolicyOnPodConditionsPattern> patterns, Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return null;
    for (PodFailurePolicyOnPodConditionsPattern p : patterns) {
      String status = p.getStatus() == null ? "True" : p.getStatus();
      for (PodCondition c : pod.getStatus().getConditions()) {
        if (p.getType().equals(c.getType()) && status.equals(c.getStatus())) return p.getType();
      }
    }
    return null;
  }

  private static String ref(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }
}
