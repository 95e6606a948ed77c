package io.keelson.controller.events;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events about what the controllers did (SuccessfulCreate, ScalingReplicaSet,
 * ...), the way client-go's recorder does: asynchronously so a slow api-server never stalls a
 * reconcile, and aggregated so a repeated event bumps {@code count} and {@code lastTimestamp}
 * instead of creating a new object. Each controller reports under its own component, as kube's
 * do ({@code kubectl describe} shows "From: replicaset-controller"): {@link #forComponent}.
 */
public final class EventRecorder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final int CACHE_SIZE = 4096;

  private final KubernetesClient client;
  private final String component;
  private final ExecutorService sender;
  /** key (component, uid, reason, message) -> name and count of the event already written. */
  private final Map<String, Seen> seen;
  /** Only the recorder that made the sender shuts it down. */
  private final boolean ownsSender;

  private record Seen(String namespace, String name, int count) {}

  public EventRecorder(KubernetesClient client, String component) {
    this(client, component,
        Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("events").unstarted(r)),
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Seen> e) {
            return size() > CACHE_SIZE;
          }
        }, true);
  }

  private EventRecorder(KubernetesClient client, String component, ExecutorService sender, Map<String, Seen> seen,
      boolean ownsSender) {
    this.client = client;
    this.component = component;
    this.sender = sender;
    this.seen = seen;
    this.ownsSender = ownsSender;
  }

  /** A recorder that reports as {@code component} ("deployment-controller") through this one's sender. */
  public EventRecorder forComponent(String component) {
    return new EventRecorder(client, component, sender, seen, false);
  }

  public void normal(HasMetadata obj, String reason, String message) {
    record(obj, "Normal", reason, message);
  }

  public void warning(HasMetadata obj, String reason, String message) {
    record(obj, "Warning", reason, message);
  }

  public void record(HasMetadata obj, String type, String reason, String message) {
    log.info("{} {}/{}: {} {}", obj.getKind(), ns(obj), obj.getMetadata().getName(), reason, message);
    String uid = obj.getMetadata().getUid();
    var ref =
        new ObjectReferenceBuilder()
            .withApiVersion(obj.getApiVersion())
            .withKind(obj.getKind())
            .withNamespace(obj.getMetadata().getNamespace())
            .withName(obj.getMetadata().getName())
            .withUid(uid)
            .withResourceVersion(obj.getMetadata().getResourceVersion())
            .build();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    sender.execute(() -> send(component + "\0" + uid + "\0" + type + "\0" + reason + "\0" + message, ref, type, reason, message, now));
  }

  private static String ns(HasMetadata obj) {
    String n = obj.getMetadata().getNamespace();
    return n == null || n.isEmpty() ? "default" : n;
  }

  private void send(
      String key,
      io.fabric8.kubernetes.api.model.ObjectReference ref,
      String type,
      String reason,
      String message,
      Instant now) {
    String namespace = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? "default" : ref.getNamespace();
    try {
      Seen prior;
      synchronized (seen) {
        prior = seen.get(key);
      }
      if (prior != null) {
        int count = prior.count() + 1;
        try {
          client
              .v1()
              .events()
              .inNamespace(prior.namespace())
              .withName(prior.name())
              .patch(
                  PatchContext.of(PatchType.JSON_MERGE),
                  "{\"count\":" + count + ",\"lastTimestamp\":\"" + now + "\"}");
          synchronized (seen) {
            seen.put(key, new Seen(prior.namespace(), prior.name(), count));
          }
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) throw e;
        }
      }
      String name = ref.getName() + "." + Long.toHexString(System.nanoTime() ^ (now.toEpochMilli() << 20));
      Event event =
          new EventBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(namespace)
              .endMetadata()
              .withInvolvedObject(ref)
              .withType(type)
              .withReason(reason)
              .withMessage(message)
              .withNewSource()
              .withComponent(component)
              .endSource()
              .withReportingComponent(component)
              .withReportingInstance(component)
              .withCount(1)
              .withFirstTimestamp(now.toString())
              .withLastTimestamp(now.toString())
              .withEventTime(new MicroTime(now.toString()))
              .build();
      // eventTime is for events.k8s.io; core/v1 kubectl describe reads first/lastTimestamp.
      event.setEventTime(null);
      client.v1().events().inNamespace(namespace).resource(event).create();
      synchronized (seen) {
        seen.put(key, new Seen(namespace, name, 1));
      }
    } catch (RuntimeException e) {
      log.debug("could not record event {} for {}/{}: {}", reason, namespace, ref.getName(), e.toString());
    }
  }

  @Override
  public void close() {
    if (ownsSender) sender.shutdown();
  }
}
