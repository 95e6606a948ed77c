package io.keelson.controller.gc;

import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ownerReferences graph over every object the collector watches, keyed by uid: each object's
 * owners, and for each uid (present or not) the objects that name it as an owner. Dependents of
 * an absent uid are how the collector finds what to delete when an owner is gone.
 */
public final class OwnerGraph {
  /** One object as the graph knows it. */
  public record Node(
      String uid,
      String apiVersion,
      String kind,
      String namespace,
      String name,
      List<OwnerReference> owners,
      boolean deleting,
      List<String> finalizers,
      String resourceVersion) {
    public boolean hasFinalizer(String f) {
      return finalizers != null && finalizers.contains(f);
    }

    public OwnerReference ownerRef(String ownerUid) {
      if (owners == null) return null;
      for (OwnerReference r : owners) if (ownerUid.equals(r.getUid())) return r;
      return null;
    }
  }

  private final Map<String, Node> nodes = new HashMap<>();
  private final Map<String, Set<String>> dependents = new HashMap<>();

  /** Adds or replaces a node; returns the previous version (null if new). */
  public synchronized Node upsert(Node n) {
    Node old = nodes.put(n.uid(), n);
    if (old != null) unlinkOwners(old);
    if (n.owners() != null) {
      for (OwnerReference r : n.owners()) dependents.computeIfAbsent(r.getUid(), k -> new HashSet<>()).add(n.uid());
    }
    return old;
  }

  /** Removes a node (its own dependents keep pointing at its uid); returns it. */
  public synchronized Node remove(String uid) {
    Node old = nodes.remove(uid);
    if (old != null) unlinkOwners(old);
    return old;
  }

  private void unlinkOwners(Node n) {
    if (n.owners() == null) return;
    for (OwnerReference r : n.owners()) {
      Set<String> s = dependents.get(r.getUid());
      if (s == null) continue;
      s.remove(n.uid());
      if (s.isEmpty()) dependents.remove(r.getUid());
    }
  }

  public synchronized Node get(String uid) {
    return nodes.get(uid);
  }

  /** The present objects that name {@code uid} as an owner. */
  public synchronized List<Node> dependentsOf(String uid) {
    Set<String> s = dependents.get(uid);
    if (s == null) return List.of();
    return s.stream().map(nodes::get).filter(java.util.Objects::nonNull).toList();
  }

  /** Dependents whose reference to {@code uid} has blockOwnerDeletion=true. */
  public synchronized List<Node> blockingDependentsOf(String uid) {
    return dependentsOf(uid).stream()
        .filter(d -> {
          OwnerReference r = d.ownerRef(uid);
          return r != null && Boolean.TRUE.equals(r.getBlockOwnerDeletion());
        })
        .toList();
  }

  /** The objects with an owner of this kind in this API group (any version). */
  public synchronized List<Node> ownedByKind(String group, String kind) {
    return nodes.values().stream().filter(n -> n.owners() != null && n.owners().stream().anyMatch(r -> kind.equals(r.getKind())
        && group.equals(r.getApiVersion().contains("/") ? r.getApiVersion().substring(0, r.getApiVersion().indexOf('/')) : "")))
        .toList();
  }

  public synchronized int size() {
    return nodes.size();
  }
}
