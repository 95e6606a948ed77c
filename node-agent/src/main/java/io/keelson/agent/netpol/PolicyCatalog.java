package io.keelson.agent.netpol;

import io.keelson.client.watch.InformerRetries;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a node needs to enforce NetworkPolicies, kept by one informer each: the policies, every pod
 * of the cluster (peers are matched by their IPs, labels and namespace) and the namespaces (their
 * labels, for namespaceSelectors). Real nodes only: hollow nodes never watch the cluster's pods.
 */
public final class PolicyCatalog implements AutoCloseable {

  /** An immutable view of the three stores. */
  public record Snapshot(List<NetworkPolicy> policies, List<Pod> pods, List<Namespace> namespaces) {
    public Snapshot {
      policies = List.copyOf(policies);
      pods = List.copyOf(pods);
      namespaces = List.copyOf(namespaces);
    }
  }

  private final SharedIndexInformer<NetworkPolicy> policies;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Namespace> namespaces;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private PolicyCatalog(KubernetesClient client) {
    // no resync: a relist that changes nothing must not rewrite the rules
    policies = InformerRetries.forever(client.network().v1().networkPolicies().inAnyNamespace().runnableInformer(0));
    pods = InformerRetries.forever(client.pods().inAnyNamespace().runnableInformer(0));
    namespaces = InformerRetries.forever(client.namespaces().runnableInformer(0));
    policies.addEventHandler(changes());
    pods.addEventHandler(changes());
    namespaces.addEventHandler(changes());
  }

  private <T> ResourceEventHandler<T> changes() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        fire();
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        fire();
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        fire();
      }
    };
  }

  /** Starts watching through {@code client}; returns at once. */
  public static PolicyCatalog watch(KubernetesClient client) {
    PolicyCatalog c = new PolicyCatalog(client);
    c.policies.start();
    c.pods.start();
    c.namespaces.start();
    return c;
  }

  /** Called (on an informer thread) after every change of a policy, pod or namespace. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** Whether all three have listed once: before that a snapshot could lack a policy (and open a hole). */
  public boolean synced() {
    return policies.hasSynced() && pods.hasSynced() && namespaces.hasSynced();
  }

  public Snapshot snapshot() {
    return new Snapshot(policies.getStore().list(), pods.getStore().list(), namespaces.getStore().list());
  }

  private void fire() {
    for (Runnable r : listeners) {
      r.run();
    }
  }

  @Override
  public void close() {
    policies.close();
    pods.close();
    namespaces.close();
  }
}
