package io.keelson.apiserver.bootstrap;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.node.ObjectNode;

/**
 * Objects every cluster has: the system namespaces, the {@code runc} and {@code vm} RuntimeClasses,
 * the system PriorityClasses and the default {@code local-path} StorageClass. Created when absent (any
 * api-server replica may do it; creation races are harmless), then etcd history is compacted
 * periodically as Kubernetes does.
 */
@Component
public class ClusterBootstrap {

  private static final Logger log = LoggerFactory.getLogger(ClusterBootstrap.class);

  private final ResourceService svc;
  private final AtomicBoolean done = new AtomicBoolean();

  public ClusterBootstrap(ResourceService svc) {
    this.svc = svc;
  }

  public boolean done() {
    return done.get();
  }

  @EventListener(ApplicationStartedEvent.class)
  public void start() {
    Thread.ofVirtual().name("bootstrap").start(() -> {
      long backoff = 200;
      while (!done.get()) {
        try {
          if (svc.ready()) {
            seed();
            done.set(true);
            log.info("cluster bootstrap complete");
            break;
          }
        } catch (RuntimeException e) {
          log.warn("bootstrap: {}; retrying", e.getMessage());
        }
        sleep(backoff);
        backoff = Math.min(backoff * 2, 3000);
      }
      compactForever();
    });
  }

  private void seed() {
    for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      ensure("", "v1", "namespaces", null, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}");
    }
    ensure("node.k8s.io", "v1", "runtimeclasses", null, """
        {"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"runc",
         "annotations":{"keelson.io/description":"Linux container: namespaces + cgroups on the host kernel"}},
         "handler":"runc",
         "scheduling":{"nodeSelector":{"keelson.io/runtime.runc":"true"}}}""");
    ensure("node.k8s.io", "v1", "runtimeclasses", null, """
        {"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"vm",
         "annotations":{"keelson.io/description":"Virtual machine: qemu with its own guest kernel (KVM or TCG)"}},
         "handler":"qemu",
         "overhead":{"podFixed":{"cpu":"100m","memory":"64Mi"}},
         "scheduling":{"nodeSelector":{"keelson.io/runtime.vm":"true"}}}""");
    // node-local directories, as k3s' local-path provisioner: the volume is made once the pod's node is known
    ensure("storage.k8s.io", "v1", "storageclasses", null, """
        {"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"local-path",
         "annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
         "provisioner":"keelson.io/local-path","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"}""");
    ensure("scheduling.k8s.io", "v1", "priorityclasses", null, """
        {"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"system-cluster-critical"},
         "value":2000000000,"description":"Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."}""");
    ensure("scheduling.k8s.io", "v1", "priorityclasses", null, """
        {"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"system-node-critical"},
         "value":2000001000,"description":"Used for system critical pods that must not be moved from their current node."}""");
  }

  private void ensure(String group, String version, String resource, String ns, String json) {
    ResourceType t = ResourceRegistry.find(group, version, resource).orElseThrow();
    ObjectNode o = (ObjectNode) ObjectCodec.JSON.readTree(json);
    try {
      svc.create(t, ns, o, WriteOptions.manager("keelson-bootstrap"));
    } catch (StatusException e) {
      if (e.code() != 409) throw e;
    }
  }

  /** Keep about five minutes of history, like the Kubernetes api-server's compactor. */
  private void compactForever() {
    EtcdStore store = svc.store();
    long previous = 0;
    while (true) {
      sleep(300_000);
      try {
        long now = store.currentRevision();
        if (previous > 0) store.compact(previous);
        previous = now;
      } catch (Exception e) {
        String m = String.valueOf(e.getMessage());
        if (!m.contains("compacted")) log.debug("compaction skipped: {}", m);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
