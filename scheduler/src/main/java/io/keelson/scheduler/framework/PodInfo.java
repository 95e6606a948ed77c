package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pod plus everything the plugins derive from it, computed once when the pod enters the
 * scheduler (queue or cache): effective requests (init-container max rule + overhead), priority,
 * compiled affinity terms, tolerations. Immutable.
 */
public final class PodInfo {
  /** Looks up what admission would have filled in: priority from PriorityClass, RuntimeClass overhead. */
  public interface Resolver {
    Resolver NONE = new Resolver() {};

    default int priority(Pod pod) {
      Integer p = pod.getSpec() == null ? null : pod.getSpec().getPriority();
      return p == null ? 0 : p;
    }

    default Map<String, Quantity> runtimeClassOverhead(String runtimeClassName) {
      return null;
    }
  }

  // Defaults kube-scheduler assumes for scoring when a container requests nothing.
  public static final long DEFAULT_MILLI_CPU_REQUEST = 100;
  public static final long DEFAULT_MEMORY_REQUEST = 200L * 1024 * 1024;

  private final Pod pod;
  private final String namespace;
  private final String name;
  private final String key;
  private final String uid;
  private final int priority;
  private final Resource requests;
  private final long nonZeroMilliCpu;
  private final long nonZeroMemory;
  private final Map<String, String> labels;
  private final List<Toleration> tolerations;
  private final List<AffinityTerm> requiredAffinity;
  private final List<AffinityTerm> requiredAntiAffinity;
  private final List<AffinityTerm.Weighted> preferredAffinity;
  private final List<AffinityTerm.Weighted> preferredAntiAffinity;
  private final NodeSelectorMatcher requiredNodeAffinity;
  private final Map<String, String> nodeSelector;
  private final List<PreferredSchedulingTerm> preferredNodeAffinity;
  private final List<TopologySpreadConstraint> spreadConstraints;

  public static PodInfo of(Pod pod) {
    return new PodInfo(pod, Resolver.NONE);
  }

  public static PodInfo of(Pod pod, Resolver resolver) {
    return new PodInfo(pod, resolver);
  }

  private PodInfo(Pod pod, Resolver resolver) {
    this.pod = pod;
    this.namespace = pod.getMetadata().getNamespace() == null ? "default" : pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    this.key = namespace + "/" + name;
    this.uid = pod.getMetadata().getUid() == null ? key : pod.getMetadata().getUid();
    this.priority = resolver.priority(pod);
    this.labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();

    // Requests: max(sum(containers) + sidecars, max over init containers) + overhead.
    Resource sum = new Resource();
    long nzCpu = 0;
    long nzMem = 0;
    if (spec.getContainers() != null) {
      for (Container c : spec.getContainers()) {
        Resource r = containerRequests(c);
        sum.add(r);
        nzCpu += r.milliCpu == 0 ? DEFAULT_MILLI_CPU_REQUEST : r.milliCpu;
        nzMem += r.memory == 0 ? DEFAULT_MEMORY_REQUEST : r.memory;
      }
    }
    if (spec.getInitContainers() != null && !spec.getInitContainers().isEmpty()) {
      Resource sidecars = new Resource();
      Resource initMax = new Resource();
      for (Container c : spec.getInitContainers()) {
        Resource r = containerRequests(c);
        if ("Always".equals(c.getRestartPolicy())) {
          sidecars.add(r); // restartable init containers keep running beside the app containers
          initMax.setMax(sidecars);
        } else {
          Resource during = r.copy();
          during.add(sidecars);
          initMax.setMax(during);
        }
      }
      sum.add(sidecars);
      sum.setMax(initMax);
      nzCpu = Math.max(nzCpu, initMax.milliCpu);
      nzMem = Math.max(nzMem, initMax.memory);
    }
    Map<String, Quantity> overhead = spec.getOverhead();
    if ((overhead == null || overhead.isEmpty()) && spec.getRuntimeClassName() != null) {
      overhead = resolver.runtimeClassOverhead(spec.getRuntimeClassName());
    }
    if (overhead != null) {
      Resource o = Resource.of(overhead);
      sum.add(o);
      nzCpu += o.milliCpu;
      nzMem += o.memory;
    }
    this.requests = sum;
    this.nonZeroMilliCpu = nzCpu;
    this.nonZeroMemory = nzMem;

    this.tolerations = spec.getTolerations() == null ? List.of() : spec.getTolerations();
    this.nodeSelector = spec.getNodeSelector() == null ? Map.of() : spec.getNodeSelector();
    this.spreadConstraints =
        spec.getTopologySpreadConstraints() == null ? List.of() : spec.getTopologySpreadConstraints();

    Affinity aff = spec.getAffinity();
    List<AffinityTerm> ra = new ArrayList<>();
    List<AffinityTerm> raa = new ArrayList<>();
    List<AffinityTerm.Weighted> pa = new ArrayList<>();
    List<AffinityTerm.Weighted> paa = new ArrayList<>();
    NodeSelectorMatcher nodeReq = null;
    List<PreferredSchedulingTerm> nodePref = List.of();
    if (aff != null) {
      if (aff.getPodAffinity() != null) {
        addTerms(ra, aff.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution());
        addWeighted(pa, aff.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution());
      }
      if (aff.getPodAntiAffinity() != null) {
        addTerms(raa, aff.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution());
        addWeighted(paa, aff.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution());
      }
      if (aff.getNodeAffinity() != null) {
        if (aff.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
          nodeReq =
              NodeSelectorMatcher.compile(aff.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution());
        }
        if (aff.getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution() != null) {
          nodePref = aff.getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        }
      }
    }
    this.requiredAffinity = List.copyOf(ra);
    this.requiredAntiAffinity = List.copyOf(raa);
    this.preferredAffinity = List.copyOf(pa);
    this.preferredAntiAffinity = List.copyOf(paa);
    this.requiredNodeAffinity = nodeReq;
    this.preferredNodeAffinity = nodePref;
  }

  private void addTerms(List<AffinityTerm> out, List<PodAffinityTerm> terms) {
    if (terms != null) {
      for (PodAffinityTerm t : terms) {
        out.add(AffinityTerm.compile(t, namespace));
      }
    }
  }

  private void addWeighted(List<AffinityTerm.Weighted> out, List<WeightedPodAffinityTerm> terms) {
    if (terms != null) {
      for (WeightedPodAffinityTerm t : terms) {
        if (t.getPodAffinityTerm() != null) {
          int w = t.getWeight() == null ? 0 : t.getWeight();
          out.add(new AffinityTerm.Weighted(AffinityTerm.compile(t.getPodAffinityTerm(), namespace), w));
        }
      }
    }
  }

  private static Resource containerRequests(Container c) {
    Resource r = new Resource();
    if (c.getResources() != null) {
      Map<String, Quantity> req = c.getResources().getRequests();
      if (req == null || req.isEmpty()) {
        req = c.getResources().getLimits(); // requests default to limits
      }
      r.addQuantities(req);
    }
    return r;
  }

  public Pod pod() {
    return pod;
  }

  public String namespace() {
    return namespace;
  }

  public String name() {
    return name;
  }

  /** namespace/name */
  public String key() {
    return key;
  }

  public String uid() {
    return uid;
  }

  public int priority() {
    return priority;
  }

  /** Effective requests; must not be mutated. */
  public Resource requests() {
    return requests;
  }

  public long nonZeroMilliCpu() {
    return nonZeroMilliCpu;
  }

  public long nonZeroMemory() {
    return nonZeroMemory;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public List<Toleration> tolerations() {
    return tolerations;
  }

  public List<AffinityTerm> requiredAffinity() {
    return requiredAffinity;
  }

  public List<AffinityTerm> requiredAntiAffinity() {
    return requiredAntiAffinity;
  }

  public List<AffinityTerm.Weighted> preferredAffinity() {
    return preferredAffinity;
  }

  public List<AffinityTerm.Weighted> preferredAntiAffinity() {
    return preferredAntiAffinity;
  }

  public boolean hasAffinity() {
    return !requiredAffinity.isEmpty()
        || !requiredAntiAffinity.isEmpty()
        || !preferredAffinity.isEmpty()
        || !preferredAntiAffinity.isEmpty();
  }

  /** Null when the pod has no required node affinity. */
  public NodeSelectorMatcher requiredNodeAffinity() {
    return requiredNodeAffinity;
  }

  public Map<String, String> nodeSelector() {
    return nodeSelector;
  }

  public List<PreferredSchedulingTerm> preferredNodeAffinity() {
    return preferredNodeAffinity;
  }

  public List<TopologySpreadConstraint> spreadConstraints() {
    return spreadConstraints;
  }

  public String schedulerName() {
    String s = pod.getSpec() == null ? null : pod.getSpec().getSchedulerName();
    return s == null ? "default-scheduler" : s;
  }

  public String nodeName() {
    return pod.getSpec() == null ? null : pod.getSpec().getNodeName();
  }

  public String runtimeClassName() {
    return pod.getSpec() == null ? null : pod.getSpec().getRuntimeClassName();
  }

  /** Whether the pod matches the node's labels by nodeSelector and required node affinity. */
  public boolean matchesNodeSelectorAndAffinity(String nodeName, Map<String, String> nodeLabels) {
    if (!nodeSelector.isEmpty()) {
      if (nodeLabels == null) {
        return false;
      }
      for (Map.Entry<String, String> e : nodeSelector.entrySet()) {
        if (!e.getValue().equals(nodeLabels.get(e.getKey()))) {
          return false;
        }
      }
    }
    return requiredNodeAffinity == null || requiredNodeAffinity.matches(nodeName, nodeLabels);
  }

  @Override
  public String toString() {
    return key;
  }
}
