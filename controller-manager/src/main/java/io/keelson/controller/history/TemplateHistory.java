package io.keelson.controller.history;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.controller.deployment.ReplicaSets;
import io.keelson.controller.runtime.Owners;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import tools.jackson.databind.json.JsonMapper;

/**
 * A DaemonSet's or StatefulSet's template history, kept as kube keeps it: one ControllerRevision per
 * template the owner has had, named and labelled with the template hash, owned by the owner (so the
 * garbage collector removes them with it), holding a strategic-merge patch that puts that template
 * back. {@code kubectl rollout history|undo daemonset|statefulset} read and apply these.
 */
public final class TemplateHistory {
  /** The pod label (and, here, revision label) naming the revision a pod was made from. */
  public static final String REVISION_HASH = "controller-revision-hash";
  static final int DEFAULT_LIMIT = 10;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final KubernetesClient client;
  private final SharedIndexInformer<ControllerRevision> revisions;

  public TemplateHistory(KubernetesClient client, SharedIndexInformer<ControllerRevision> revisions) {
    this.client = client;
    this.revisions = revisions;
  }

  /**
   * Makes the current template the newest revision (a new one, or, after a rollback, the old one
   * renumbered as kube does) and deletes the oldest beyond {@code limit} (null: kube's 10) that no
   * pod still runs ({@code inUse}).
   */
  public void sync(HasMetadata ds, PodTemplateSpec template, Integer limit, String hash, Predicate<ControllerRevision> inUse) {
    List<ControllerRevision> owned = owned(ds);
    long newest = owned.stream().mapToLong(TemplateHistory::number).max().orElse(0);
    ControllerRevision current = owned.stream().filter(r -> hash.equals(hashOf(r))).findFirst().orElse(null);
    String ns = ds.getMetadata().getNamespace();
    if (current == null) {
      try {
        client.apps().controllerRevisions().inNamespace(ns).resource(revision(ds, template, hash, newest + 1)).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) throw e; // made by the previous sync; the informer has not seen it yet
      }
    } else if (number(current) < newest) {
      client.apps().controllerRevisions().inNamespace(ns).withName(current.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"revision\":" + (newest + 1) + "}");
    }
    prune(owned, limit, hash, inUse);
  }

  private void prune(List<ControllerRevision> owned, Integer limit, String hash, Predicate<ControllerRevision> inUse) {
    List<ControllerRevision> old = new ArrayList<>(owned.stream().filter(r -> !hash.equals(hashOf(r))).toList());
    int excess = old.size() - (limit == null ? DEFAULT_LIMIT : Math.max(0, limit));
    if (excess <= 0) return;
    old.sort(Comparator.comparingLong(TemplateHistory::number));
    for (ControllerRevision r : old) {
      if (excess <= 0) break;
      if (inUse.test(r)) continue;
      client.apps().controllerRevisions().inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
      excess--;
    }
  }

  public List<ControllerRevision> owned(HasMetadata ds) {
    List<ControllerRevision> out = new ArrayList<>();
    for (ControllerRevision r : revisions.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ds.getMetadata().getNamespace())) {
      if (Owners.isControlledBy(r, ds) && r.getMetadata().getDeletionTimestamp() == null) out.add(r);
    }
    return out;
  }

  /** The revision kube's DaemonSet controller would write: template labels + hash, the owner's annotations. */
  static ControllerRevision revision(HasMetadata ds, PodTemplateSpec template, String hash, long number) {
    Map<String, String> labels = new HashMap<>();
    if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
      labels.putAll(template.getMetadata().getLabels());
    }
    labels.put(REVISION_HASH, hash);
    return new ControllerRevisionBuilder()
        .withNewMetadata()
        .withName(name(ds.getMetadata().getName(), hash))
        .withNamespace(ds.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(ds.getMetadata().getAnnotations())
        .withOwnerReferences(Owners.controllerRef(ds))
        .endMetadata()
        .withData(data(template))
        .withRevision(number)
        .build();
  }

  /** {"spec":{"template":{"$patch":"replace", ...}}}: applied as a strategic-merge patch, it restores the template whole. */
  static Map<String, Object> data(PodTemplateSpec podTemplate) {
    @SuppressWarnings("unchecked")
    Map<String, Object> template = new java.util.TreeMap<>(JSON.readValue(ReplicaSets.canonicalJson(podTemplate), Map.class));
    template.put("$patch", "replace");
    return Map.of("spec", Map.of("template", template));
  }

  /** The pod template a revision restores (null if its data holds none). */
  public static PodTemplateSpec template(ControllerRevision r) {
    if (!(r.getData() instanceof Map<?, ?> data) || !(data.get("spec") instanceof Map<?, ?> spec)
        || !(spec.get("template") instanceof Map<?, ?> t)) {
      return null;
    }
    Map<Object, Object> copy = new HashMap<>(t);
    copy.remove("$patch");
    return JSON.convertValue(copy, PodTemplateSpec.class);
  }

  /** kube's naming: the owner's name (cut to leave room) and the hash. */
  public static String name(String ds, String hash) {
    String prefix = ds.length() > 252 - hash.length() ? ds.substring(0, 252 - hash.length()) : ds;
    return prefix + "-" + hash;
  }

  public static String hashOf(ControllerRevision r) {
    return r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(REVISION_HASH);
  }

  private static long number(ControllerRevision r) {
    return r.getRevision() == null ? 0 : r.getRevision();
  }
}
