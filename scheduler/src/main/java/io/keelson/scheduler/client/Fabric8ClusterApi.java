package io.keelson.scheduler.client;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.keelson.client.http.DirectHttp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClusterApi over the kubeconfig's api-server. Bindings and events, one of each per pod, go over
 * plain blocking connections ({@link DirectHttp}); bindings are synchronous (the caller is a binder
 * thread). Status patches and evictions are asynchronous over fabric8's HTTP client with a bound on
 * requests in flight so they cannot starve bindings of the api-server. Events go through a bounded
 * queue drained by one sender, one at a time (during a burst they trail behind bindings, queued,
 * instead of taking a share of the api-server from them) and are dropped (and counted) when it is
 * full, as client-go's event broadcaster does.
 */
public final class Fabric8ClusterApi implements ClusterApi, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Fabric8ClusterApi.class);
  private static final String JSON = "application/json";
  private static final String MERGE_PATCH = "application/merge-patch+json";

  private final HttpClient http;
  private final DirectHttp direct;
  private final String base;
  private final KubernetesSerialization json;
  private final String component;
  private final String instance;
  /** Status patches and evictions in flight. */
  private final Semaphore asyncPermits = new Semaphore(8);
  private final BlockingQueue<EventJson> events = new ArrayBlockingQueue<>(20_000);
  private final AtomicLong droppedEvents = new AtomicLong();
  private final AtomicLong eventSeq = new AtomicLong(System.nanoTime());
  private final Map<String, Long> recentEvents =
      new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> e) {
          return size() > 20_000;
        }
      };
  private final Thread eventSender;
  private volatile boolean closed;

  public Fabric8ClusterApi(KubernetesClient client, String component, String instance) {
    this.http = client.getHttpClient();
    this.direct = DirectHttp.of(client.getConfiguration());
    String url = client.getMasterUrl().toString();
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.json = client.getKubernetesSerialization();
    this.component = component;
    this.instance = instance;
    this.eventSender = Thread.ofPlatform().name("event-sender").daemon().start(this::sendEvents);
  }

  private static String podPath(Pod pod) {
    return "/api/v1/namespaces/" + pod.getMetadata().getNamespace() + "/pods/" + pod.getMetadata().getName();
  }

  @Override
  public void bind(Pod pod, String nodeName) {
    String uid = pod.getMetadata().getUid();
    // names and uids are DNS labels / UUIDs: nothing to escape, no serializer needed
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"" + pod.getMetadata().getName()
        + "\",\"namespace\":\"" + pod.getMetadata().getNamespace() + "\""
        + (uid == null ? "" : ",\"uid\":\"" + uid + "\"")
        + "},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"" + nodeName + "\"}}";
    DirectHttp.Response resp;
    try {
      resp = direct.send("POST", podPath(pod) + "/binding", JSON, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), 30_000);
    } catch (java.io.IOException e) {
      throw new ApiException(0, "binding " + pod.getMetadata().getName() + ": " + e);
    }
    if (!resp.ok()) {
      throw new ApiException(resp.code(), statusMessage(resp.code(), resp.text()));
    }
  }

  @Override
  public void annotateClaim(String namespace, String name, String key, String value) {
    // keys are qualified names and values node names: nothing to escape
    String body = "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + value + "\"}}}";
    String path = "/api/v1/namespaces/" + namespace + "/persistentvolumeclaims/" + name;
    HttpResponse<String> resp;
    try {
      // fabric8's client, not DirectHttp: HttpURLConnection cannot send PATCH
      HttpRequest req = http.newHttpRequestBuilder().uri(base + path).method("PATCH", MERGE_PATCH, body).timeout(30, TimeUnit.SECONDS).build();
      resp = http.sendAsync(req, String.class).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(0, "annotating claim " + namespace + "/" + name + ": interrupted");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new ApiException(0, "annotating claim " + namespace + "/" + name + ": " + e);
    }
    if (!resp.isSuccessful()) {
      throw new ApiException(resp.code(), statusMessage(resp));
    }
  }

  private String statusMessage(int code, String b) {
    try {
      Object m = json.unmarshal(b, Map.class).get("message");
      if (m != null) {
        return code + " " + m;
      }
    } catch (Exception ignored) {
      // not a Status body
    }
    return code + " " + (b == null ? "" : b.length() > 200 ? b.substring(0, 200) : b);
  }

  private String statusMessage(HttpResponse<String> resp) {
    return statusMessage(resp.code(), resp.body());
  }

  @Override
  public void markUnschedulable(Pod pod, String message, String nominatedNodeName) {
    List<Object> conditions = new ArrayList<>();
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String transition = now;
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (PodCondition c : pod.getStatus().getConditions()) {
        if ("PodScheduled".equals(c.getType())) {
          if ("False".equals(c.getStatus()) && c.getLastTransitionTime() != null) {
            transition = c.getLastTransitionTime(); // the condition did not change state
          }
        } else {
          conditions.add(c);
        }
      }
    }
    Map<String, Object> cond = new LinkedHashMap<>();
    cond.put("type", "PodScheduled");
    cond.put("status", "False");
    cond.put("lastProbeTime", null);
    cond.put("lastTransitionTime", transition);
    cond.put("reason", "Unschedulable");
    cond.put("message", message);
    conditions.add(cond);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("conditions", conditions);
    if (nominatedNodeName != null) {
      status.put("nominatedNodeName", nominatedNodeName);
    }
    sendAsync("PATCH", podPath(pod) + "/status", MERGE_PATCH, json.asJson(Map.of("status", status)));
  }

  @Override
  public void evict(Pod victim, String preemptorKey, String nodeName) {
    Long grace = victim.getSpec() == null ? null : victim.getSpec().getTerminationGracePeriodSeconds();
    Map<String, Object> opts = new LinkedHashMap<>();
    opts.put("apiVersion", "v1");
    opts.put("kind", "DeleteOptions");
    opts.put("gracePeriodSeconds", grace == null ? 30 : grace);
    if (victim.getMetadata().getUid() != null) {
      opts.put("preconditions", Map.of("uid", victim.getMetadata().getUid()));
    }
    sendAsync("DELETE", podPath(victim), JSON, json.asJson(opts));
    event(victim, "Normal", "Preempted", "Preempting", "Preempted by pod " + preemptorKey + " on node " + nodeName);
  }

  private void sendAsync(String method, String path, String contentType, String body) {
    sendAsync(asyncPermits, method, path, contentType, body);
  }

  private void sendAsync(Semaphore permits, String method, String path, String contentType, String body) {
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    CompletableFuture<HttpResponse<String>> f;
    try {
      HttpRequest req =
          http.newHttpRequestBuilder()
              .uri(base + path)
              .method(method, contentType, body)
              .timeout(30, TimeUnit.SECONDS)
              .build();
      f = http.sendAsync(req, String.class);
    } catch (RuntimeException e) {
      permits.release();
      log.warn("{} {} failed: {}", method, path, e.toString());
      return;
    }
    f.whenComplete(
        (resp, err) -> {
          permits.release();
          if (err != null) {
            log.warn("{} {} failed: {}", method, path, err.toString());
          } else if (!resp.isSuccessful() && resp.code() != 404) {
            log.warn("{} {} -> {}", method, path, statusMessage(resp));
          }
        });
  }

  @Override
  public void event(Pod pod, String type, String reason, String action, String message) {
    String dedupKey = pod.getMetadata().getUid() + "|" + reason + "|" + message;
    long now = System.currentTimeMillis();
    synchronized (recentEvents) {
      Long last = recentEvents.get(dedupKey);
      if (last != null && now - last < 60_000) {
        return; // the same message for the same pod within a minute: once is enough
      }
      recentEvents.put(dedupKey, now);
    }
    String ts = Instant.ofEpochMilli(now).truncatedTo(ChronoUnit.SECONDS).toString();
    EventJson e =
        new EventJson(
            pod.getMetadata().getName() + "." + Long.toHexString(eventSeq.incrementAndGet()),
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            pod.getMetadata().getUid(),
            pod.getMetadata().getResourceVersion(),
            type,
            reason,
            action,
            message,
            component,
            instance,
            ts);
    if (!events.offer(e)) {
      long n = droppedEvents.incrementAndGet();
      if (n % 1000 == 1) {
        log.warn("event queue full; {} events dropped so far", n);
      }
    }
  }

  public long droppedEvents() {
    return droppedEvents.get();
  }

  public int pendingEvents() {
    return events.size();
  }

  private void sendEvents() {
    while (!closed) {
      EventJson e;
      try {
        e = events.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        return;
      }
      if (e == null) {
        continue;
      }
      // one at a time, blocking: events trail bindings instead of competing with them
      String path = "/api/v1/namespaces/" + e.namespace() + "/events";
      try {
        DirectHttp.Response r = direct.send("POST", path, JSON, e.toJson(), 30_000);
        if (!r.ok()) {
          log.warn("POST {} -> {}", path, statusMessage(r.code(), r.text()));
        }
      } catch (java.io.IOException ex) {
        log.warn("POST {} failed: {}", path, ex.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    eventSender.interrupt();
  }
}
