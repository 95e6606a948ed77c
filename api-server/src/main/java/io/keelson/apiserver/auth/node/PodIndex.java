package io.keelson.apiserver.auth.node;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.watch.WatchCache;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * The pods the node authorizer asks about: one by name, and those bound to a node in a namespace
 * (the edges of kube's node graph, read from the watch cache instead of kept as a graph).
 */
public interface PodIndex {

  /** The pod, or null. */
  ObjectNode pod(String namespace, String name);

  /** Pods in {@code namespace} whose spec.nodeName is {@code node}. */
  List<ObjectNode> podsOn(String node, String namespace);

  static PodIndex of(ResourceService resources) {
    ResourceType pods = ResourceRegistry.find("", "v1", "pods").orElseThrow();
    return new PodIndex() {
      @Override
      public ObjectNode pod(String namespace, String name) {
        return resources.cached(pods, namespace, name);
      }

      @Override
      public List<ObjectNode> podsOn(String node, String namespace) {
        WatchCache cache = resources.cache(pods);
        return cache.snapshot(pods.keyPrefix() + namespace + "/", o -> node.equals(NodeAuthorizer.nodeOf(o))).objects();
      }
    };
  }
}
