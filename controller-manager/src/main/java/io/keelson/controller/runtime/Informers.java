package io.keelson.controller.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keelson.client.http.DirectHttp;
import io.keelson.client.watch.LeanInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The process-wide shared informers, one per kind, so that five controllers watching pods open one
 * watch and hold one cache. Controllers register indexers and handlers while they are built; then
 * {@link #startAndSync} starts every informer and waits for the initial lists. Typed kinds use
 * {@link LeanInformer} (list and watch over plain blocking connections, events decoded straight
 * from the stream's bytes; one thread per informer), all over one set of kept-alive connections.
 */
public final class Informers {
  private final KubernetesClient client;
  private DirectHttp http;
  private final Map<Class<?>, SharedIndexInformer<?>> informers = new LinkedHashMap<>();
  private final List<SharedIndexInformer<?>> extra = new ArrayList<>();

  public Informers(KubernetesClient client) {
    this.client = client;
  }

  public KubernetesClient client() {
    return client;
  }

  /** The shared informer for {@code type} across all namespaces (created on first use). */
  @SuppressWarnings("unchecked")
  public synchronized <T extends HasMetadata> SharedIndexInformer<T> of(Class<T> type) {
    return (SharedIndexInformer<T>)
        informers.computeIfAbsent(
            type, t -> new LeanInformer<>(http(), client.getKubernetesSerialization(), type)); // fabric8's watch costs ~2x per event
  }

  /** The kubeconfig's api-server and credentials, set up once for all informers. */
  private synchronized DirectHttp http() {
    if (http == null) {
      http = DirectHttp.of(client.getConfiguration());
    }
    return http;
  }

  /** Registers an informer created elsewhere (e.g. generic resources) to be started with the rest. */
  public synchronized <T> SharedIndexInformer<T> register(SharedIndexInformer<T> informer) {
    extra.add(informer);
    return informer;
  }

  /** Adds an index unless one with that name exists already (several controllers share indexes). */
  public synchronized <T extends HasMetadata> void index(
      Class<T> type, String name, Function<T, List<String>> fn) {
    SharedIndexInformer<T> informer = of(type);
    if (informer.getIndexer().getIndexers().containsKey(name)) return;
    informer.addIndexers(Map.of(name, fn));
  }

  /** Starts every informer and waits until each has listed once. */
  public void startAndSync(Duration timeout) throws Exception {
    List<SharedIndexInformer<?>> all;
    synchronized (this) {
      all = new ArrayList<>(informers.values());
      all.addAll(extra);
    }
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (SharedIndexInformer<?> i : all) started.add(i.start().toCompletableFuture());
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public synchronized void stop() {
    informers.values().forEach(SharedIndexInformer::stop);
    extra.forEach(SharedIndexInformer::stop);
  }

  /** The cache key of an object: {@code namespace/name}, or {@code name} when cluster-scoped. */
  public static String key(HasMetadata obj) {
    return Cache.metaNamespaceKeyFunc(obj);
  }

  public static String key(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }

  /** The namespace part of a key ("" for cluster-scoped). */
  public static String namespaceOf(String key) {
    int i = key.indexOf('/');
    return i < 0 ? "" : key.substring(0, i);
  }

  public static String nameOf(String key) {
    return key.substring(key.indexOf('/') + 1);
  }

  /** A handler that maps every add, update and delete to keys via {@code keys}. */
  public static <T> ResourceEventHandler<T> handler(Function<T, List<String>> keys, Consumer<String> sink) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        keys.apply(obj).forEach(sink);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        keys.apply(oldObj).forEach(sink);
        keys.apply(newObj).forEach(sink);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        keys.apply(obj).forEach(sink);
      }
    };
  }
}
