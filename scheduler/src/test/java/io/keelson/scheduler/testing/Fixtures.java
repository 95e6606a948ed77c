package io.keelson.scheduler.testing;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.keelson.scheduler.cache.Snapshot;
import io.keelson.scheduler.client.ClusterApi;
import io.keelson.scheduler.framework.Framework;
import io.keelson.scheduler.framework.Handle;
import io.keelson.scheduler.framework.NodeInfo;
import io.keelson.scheduler.framework.NodeInfoLister;
import io.keelson.scheduler.framework.PodInfo;
import io.keelson.scheduler.plugins.DefaultPlugins;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builders for nodes, pods and a plugin Handle over a fixed snapshot, for table-driven tests. */
public final class Fixtures {
  private Fixtures() {}

  public static Node node(String name, String cpu, String memory) {
    return node(name, cpu, memory, "110", Map.of());
  }

  public static Node node(String name, String cpu, String memory, String pods, Map<String, String> labels) {
    Map<String, Quantity> alloc = new LinkedHashMap<>();
    alloc.put("cpu", new Quantity(cpu));
    alloc.put("memory", new Quantity(memory));
    alloc.put("pods", new Quantity(pods));
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(new HashMap<>(labels))
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .withNewStatus()
        .withAllocatable(alloc)
        .withCapacity(alloc)
        .endStatus()
        .build();
  }

  public static Node withTaints(Node n, Taint... taints) {
    return new NodeBuilder(n).editSpec().withTaints(taints).endSpec().build();
  }

  public static Node cordoned(Node n) {
    return new NodeBuilder(n).editSpec().withUnschedulable(true).endSpec().build();
  }

  public static Taint taint(String key, String value, String effect) {
    return new TaintBuilder().withKey(key).withValue(value).withEffect(effect).build();
  }

  public static Toleration toleration(String key, String op, String value, String effect) {
    return new TolerationBuilder().withKey(key).withOperator(op).withValue(value).withEffect(effect).build();
  }

  /** A pod in namespace default with one container requesting cpu/memory (null = no request). */
  public static PodBuilder pod(String name, String cpu, String memory) {
    Map<String, Quantity> req = new LinkedHashMap<>();
    if (cpu != null) {
      req.put("cpu", new Quantity(cpu));
    }
    if (memory != null) {
      req.put("memory", new Quantity(memory));
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .withUid(UUID.randomUUID().toString())
        .withLabels(new HashMap<>())
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .withNewResources()
        .withRequests(req)
        .endResources()
        .endContainer()
        .endSpec();
  }

  public static PodInfo info(Pod p) {
    return PodInfo.of(p);
  }

  public static PodInfo info(PodBuilder b) {
    return PodInfo.of(b.build());
  }

  public static Pod labelled(PodBuilder b, String... kv) {
    Map<String, String> l = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      l.put(kv[i], kv[i + 1]);
    }
    return b.editMetadata().withLabels(l).endMetadata().build();
  }

  /** A Handle whose snapshot holds the given nodes; RuntimeClasses from the map; API records calls. */
  public static TestHandle handle(List<NodeInfo> nodes) {
    return new TestHandle(Snapshot.of(nodes));
  }

  /** A Handle for plugin tests. */
  public static final class TestHandle implements Handle {
    private final NodeInfoLister snapshot;
    public final Map<String, RuntimeClass> runtimeClasses = new HashMap<>();
    public final RecordingApi api = new RecordingApi();
    public io.keelson.scheduler.framework.StorageLister storage = io.keelson.scheduler.framework.StorageLister.NONE;
    private Framework framework;

    TestHandle(NodeInfoLister snapshot) {
      this.snapshot = snapshot;
    }

    @Override
    public NodeInfoLister snapshot() {
      return snapshot;
    }

    @Override
    public RuntimeClass runtimeClass(String name) {
      return runtimeClasses.get(name);
    }

    @Override
    public ClusterApi api() {
      return api;
    }

    @Override
    public io.keelson.scheduler.framework.StorageLister storage() {
      return storage;
    }

    @Override
    public Framework framework() {
      if (framework == null) {
        framework = new Framework(DefaultPlugins.registry(), DefaultPlugins.defaults(), this);
      }
      return framework;
    }
  }

  /** ClusterApi that records what the scheduler would have written. */
  public static final class RecordingApi implements ClusterApi {
    public final Map<String, String> bindings = new java.util.concurrent.ConcurrentHashMap<>();
    public final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    public final List<String> evicted = java.util.Collections.synchronizedList(new ArrayList<>());
    public final Map<String, String> unschedulable = new java.util.concurrent.ConcurrentHashMap<>();
    public final Map<String, String> nominated = new java.util.concurrent.ConcurrentHashMap<>();
    public volatile RuntimeException failBindWith;
    public final Map<String, String> claimAnnotations = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void bind(Pod pod, String nodeName) {
      if (failBindWith != null) {
        throw failBindWith;
      }
      bindings.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), nodeName);
    }

    @Override
    public void markUnschedulable(Pod pod, String message, String nominatedNodeName) {
      String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      unschedulable.put(key, message);
      if (nominatedNodeName != null) {
        nominated.put(key, nominatedNodeName);
      }
    }

    @Override
    public void annotateClaim(String namespace, String name, String key, String value) {
      claimAnnotations.put(namespace + "/" + name + " " + key, value);
    }

    @Override
    public void evict(Pod victim, String preemptorKey, String nodeName) {
      evicted.add(victim.getMetadata().getName());
    }

    @Override
    public void event(Pod pod, String type, String reason, String action, String message) {
      events.add(pod.getMetadata().getName() + " " + reason + " " + message);
    }
  }
}
