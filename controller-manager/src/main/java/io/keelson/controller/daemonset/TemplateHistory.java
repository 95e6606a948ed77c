package io.keelson.controller.daemonset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.deployment.ReplicaSets;
import io.keelson.controller.runtime.Owners;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * A DaemonSet's template history, kept as kube keeps it: one ControllerRevision per template the
 * DaemonSet has had, named and labelled with the template hash its pods carry, owned by the
 * DaemonSet (so the garbage collector removes them with it), holding a strategic-merge patch that
 * puts that template back. {@code kubectl rollout history|undo daemonset} read and apply these.
 */
final class TemplateHistory {
  static final int DEFAULT_LIMIT = 10;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<ControllerRevision> revisions;

  TemplateHistory(KubernetesClient client, SharedIndexInformer<ControllerRevision> revisions) {
    this.client = client;
    this.revisions = revisions;
  }

  /**
   * Makes the current template the newest revision (a new one, or, after a rollback, the old one
   * renumbered as kube does) and deletes the oldest beyond {@code revisionHistoryLimit} that no pod
   * still runs.
   */
  void sync(DaemonSet ds, String hash, Collection<Pod> pods) {
    List<ControllerRevision> owned = owned(ds);
    long newest = owned.stream().mapToLong(TemplateHistory::number).max().orElse(0);
    ControllerRevision current = owned.stream().filter(r -> hash.equals(hashOf(r))).findFirst().orElse(null);
    String ns = ds.getMetadata().getNamespace();
    if (current == null) {
      try {
        client.apps().controllerRevisions().inNamespace(ns).resource(revision(ds, hash, newest + 1)).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e; // made by the previous sync; the informer has not seen it yet
      }
    } else if (number(current) < newest) {
      client.apps().controllerRevisions().inNamespace(ns).withName(current.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"revision\":" + (newest + 1) + "}");
    }
    prune(ds, owned, hash, pods);
  }

  private void prune(DaemonSet ds, List<ControllerRevision> owned, String hash, Collection<Pod> pods) {
    Integer limit = ds.getSpec().getRevisionHistoryLimit();
    List<ControllerRevision> old = new ArrayList<>(owned.stream().filter(r -> !hash.equals(hashOf(r))).toList());
    int excess = old.size() - (limit == null ? DEFAULT_LIMIT : Math.max(0, limit));
    if (excess <= 0) return;
    Set<String> running = new HashSet<>();
    for (Pod p : pods) {
      if (p.getMetadata().getLabels() != null) running.add(p.getMetadata().getLabels().get(DaemonSetController.REVISION_HASH));
    }
    old.sort(Comparator.comparingLong(TemplateHistory::number));
    for (ControllerRevision r : old) {
      if (excess <= 0) break;
      if (running.contains(hashOf(r))) continue;
      client.apps().controllerRevisions().inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
      excess--;
    }
  }

  List<ControllerRevision> owned(DaemonSet ds) {
    List<ControllerRevision> out = new ArrayList<>();
    for (ControllerRevision r : revisions.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ds.getMetadata().getNamespace())) {
      if (Owners.isControlledBy(r, ds) && r.getMetadata().getDeletionTimestamp() == null) out.add(r);
    }
    return out;
  }

  /** The revision kube's DaemonSet controller would write: template labels + hash, the DaemonSet's annotations. */
  static ControllerRevision revision(DaemonSet ds, String hash, long number) {
    Map<String, String> labels = new HashMap<>();
    if (ds.getSpec().getTemplate().getMetadata() != null && ds.getSpec().getTemplate().getMetadata().getLabels() != null) {
      labels.putAll(ds.getSpec().getTemplate().getMetadata().getLabels());
    }
    labels.put(DaemonSetController.REVISION_HASH, hash);
    return new ControllerRevisionBuilder()
        .withNewMetadata()
        .withName(name(ds.getMetadata().getName(), hash))
        .withNamespace(ds.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(ds.getMetadata().getAnnotations())
        .withOwnerReferences(Owners.controllerRef(ds))
        .endMetadata()
        .withData(data(ds))
        .withRevision(number)
        .build();
  }

  /** {"spec":{"template":{"$patch":"replace", ...}}}: applied as a strategic-merge patch, it restores the template whole. */
  static Map<String, Object> data(DaemonSet ds) {
    @SuppressWarnings("unchecked")
    Map<String, Object> template = new java.util.TreeMap<>(JSON.readValue(ReplicaSets.canonicalJson(ds.getSpec().getTemplate()), Map.class));
    template.put("$patch", "replace");
    return Map.of("spec", Map.of("template", template));
  }

  /** kube's naming: the DaemonSet's name (cut to leave room) and the hash. */
  static String name(String ds, String hash) {
    String prefix = ds.length() > 252 - hash.length() ? ds.substring(0, 252 - hash.length()) : ds;
    return prefix + "-" + hash;
  }

  static String hashOf(ControllerRevision r) {
    return r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(DaemonSetController.REVISION_HASH);
  }

  private static long number(ControllerRevision r) {
    return r.getRevision() == null ? 0 : r.getRevision();
  }
}
