package io.keelson.apiserver.apiextensions;

import io.keelson.apiserver.admission.CustomResourceDefinitions;
import io.keelson.apiserver.conversion.WebhookConversion;
import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ListOptions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.watch.WatchCache;
import io.keelson.apiserver.watch.WatchEvent;
import io.keelson.apiserver.watch.Watcher;
import io.keelson.apiserver.webhook.WebhookClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Serves what the CustomResourceDefinitions ask for: follows their watch cache (fed by etcd, so every
 * api-server on the same etcd sees every definition, whichever server wrote it) and makes the
 * {@link ResourceRegistry}'s custom types match them — one type per served version, all stored
 * under the storage version's etcd prefix. A definition being deleted has its objects deleted
 * first (kube's {@code customresourcecleanup} finalizer, condition Terminating), then goes.
 */
public final class CustomResourceRegistrar implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CustomResourceRegistrar.class);
  /** While a definition is being deleted, its objects are looked at again this often. */
  private static final long CLEANUP_EVERY_MS = 1_000;

  private final ResourceService svc;
  private final ResourceType definitions;
  private volatile boolean closed;
  /** etcd key prefixes of the custom types served now: their caches go when they do. */
  private Set<String> prefixes = Set.of();

  public CustomResourceRegistrar(ResourceService svc) {
    this.svc = svc;
    this.definitions = ResourceRegistry.find(CustomResourceDefinitions.GROUP, "v1", "customresourcedefinitions").orElseThrow();
  }

  public void start() {
    Thread.ofVirtual().name("crd-registrar").start(this::run);
  }

  private void run() {
    while (!closed) {
      try (Watcher w = svc.cache(definitions).watch(0, o -> true, 10_000)) {
        sync();
        while (!closed) {
          WatchEvent ev = w.next(System.currentTimeMillis() + CLEANUP_EVERY_MS);
          if (ev != null && Watcher.isEnd(ev)) break;
          while (ev != null && !Watcher.isEnd(ev)) ev = w.pollNow(); // one sync for a burst of changes
          if (sync()) cleanUp();
          reportConflicts();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        if (!closed) log.warn("custom resource registration failed; retrying: {}", e.toString());
        sleep(1_000);
      }
    }
  }

  /**
   * Makes the served custom types match the definitions etcd has now, as a request that may name a
   * type just defined through another api-server needs: after a not-found, before answering 404.
   */
  public void awaitCurrent() {
    WatchCache cache = svc.cache(definitions);
    try {
      cache.waitFor(svc.store().currentRevision(), 5_000);
    } catch (Exception e) {
      // etcd unreachable: what the cache has is the best answer
    }
    sync();
  }

  /** Registers the types the cached definitions ask for; true when some definition is being deleted. */
  private synchronized boolean sync() {
    List<CustomResource> wanted = new ArrayList<>();
    boolean terminating = false;
    List<ObjectNode> crds = new ArrayList<>(svc.cache(definitions).snapshot(null, o -> true).objects());
    // a definition established already keeps its names; of the others the oldest claims them first,
    // by etcd revision (an unestablished definition's status is unwritten, so its resourceVersion is its
    // creation's): the same order on every api-server, where creationTimestamp's seconds tie
    crds.sort(java.util.Comparator.comparing((ObjectNode o) -> established(o) ? 0 : 1)
        .thenComparingLong(o -> established(o) ? 0 : revision(o))
        .thenComparing(o -> o.path("metadata").path("creationTimestamp").asString(""))
        .thenComparing(o -> o.path("metadata").path("name").asString("")));
    java.util.Map<String, String> claimed = new java.util.HashMap<>(); // "group/name" -> the definition that has it
    conflicts.clear();
    for (ObjectNode crd : crds) {
      String conflict = conflict(crd, claimed);
      if (conflict != null) {
        conflicts.put(crd.path("metadata").path("name").asString(), conflict);
        continue;
      }
      wanted.addAll(converted(crd, types(crd)));
      terminating |= crd.path("metadata").has("deletionTimestamp");
    }
    ResourceRegistry.replaceCustom(wanted);
    clients.keySet().retainAll(bundlesInUse);
    bundlesInUse.clear();
    Set<String> now = new HashSet<>();
    for (CustomResource c : wanted) now.add(c.storage().keyPrefix());
    for (String gone : prefixes) if (!now.contains(gone)) svc.forgetCustom(gone);
    prefixes = now;
    return terminating;
  }

  /** Definitions not served because a name of theirs is taken, with why: their status says so (see {@link #reportConflicts}). */
  private final java.util.Map<String, String> conflicts = new java.util.concurrent.ConcurrentHashMap<>();

  /** The first of a definition's names another definition of its group has claimed ("\"wd\" is already in use"), or null; claims them otherwise. */
  private static String conflict(ObjectNode crd, java.util.Map<String, String> claimed) {
    JsonNode names = crd.path("spec").path("names");
    String group = crd.path("spec").path("group").asString("");
    String me = crd.path("metadata").path("name").asString("");
    List<String> all = new ArrayList<>();
    for (String n : new String[] {"plural", "singular", "kind", "listKind"}) {
      String v = names.path(n).asString("");
      if (!v.isEmpty() && !all.contains(v)) all.add(v);
    }
    for (String v : strings(names.path("shortNames"))) if (!all.contains(v)) all.add(v);
    for (String v : all) {
      String owner = claimed.get(group + "/" + v.toLowerCase(java.util.Locale.ROOT));
      if (owner != null && !owner.equals(me)) return "\"" + v + "\" is already in use";
    }
    for (String v : all) claimed.put(group + "/" + v.toLowerCase(java.util.Locale.ROOT), me);
    return null;
  }

  /**
   * The status of what this api-server serves, as kube's naming and establishing controllers
   * write it: acceptedNames and conditions NamesAccepted and Established True once a definition
   * is served, False on those whose names another definition of the group has taken.
   */
  private void reportConflicts() {
    for (ObjectNode crd : svc.cache(definitions).snapshot(null, o -> true).objects()) {
      String name = crd.path("metadata").path("name").asString("");
      String conflict = conflicts.get(name);
      if (conflict != null ? crd.path("status").path("conditions").toString().contains("\"NotAccepted\"")
          : established(crd) && crd.path("status").path("acceptedNames").equals(crd.path("spec").path("names"))) {
        continue; // said so already
      }
      if (conflict == null && ResourceRegistry.custom().stream().noneMatch(c -> c.definitionName().equals(name))) continue;
      try {
        svc.mutate(definitions, null, name, new WriteOptions(false, null, "status"), current -> {
          ObjectNode status = current.get("status") instanceof ObjectNode st ? st : current.putObject("status");
          if (conflict != null) {
            status.remove("acceptedNames");
            CustomResourceDefinitions.setCondition(status, "NamesAccepted", "False", "NameConflict", conflict);
            CustomResourceDefinitions.setCondition(status, "Established", "False", "NotAccepted", "not all names are accepted");
          } else {
            status.set("acceptedNames", current.path("spec").path("names").deepCopy());
            CustomResourceDefinitions.setCondition(status, "NamesAccepted", "True", "NoConflicts", "no conflicts found");
            CustomResourceDefinitions.setCondition(status, "Established", "True", "InitialNamesAccepted",
                "the initial names have been accepted");
          }
          return current;
        });
      } catch (StatusException ex) {
        if (ex.code() != 404) log.warn("reporting the names of {}: {}", name, ex.getMessage());
      }
    }
  }

  /** The object's resourceVersion as a number (etcd's revision of its last write). */
  private static long revision(JsonNode o) {
    try {
      return Long.parseLong(o.path("metadata").path("resourceVersion").asString("0"));
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Whether the definition's status says it is served (condition Established True). */
  private static boolean established(JsonNode crd) {
    for (JsonNode c : crd.path("status").path("conditions")) {
      if ("Established".equals(c.path("type").asString("")) && "True".equals(c.path("status").asString(""))) return true;
    }
    return false;
  }

  /** The webhook clients of the conversion webhooks, by caBundle (all their trust comes from it): parsed once. */
  private final java.util.Map<String, WebhookClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
  /** The caBundles the current sync used. */
  private final Set<String> bundlesInUse = new HashSet<>();

  /**
   * The versions of a definition with conversion strategy Webhook, each converting through its
   * webhook (the storage version needs none); the others as they are.
   */
  private List<CustomResource> converted(ObjectNode crd, List<CustomResource> types) {
    JsonNode conversion = crd.path("spec").path("conversion");
    if (!"Webhook".equals(conversion.path("strategy").asString(""))) return types;
    JsonNode webhook = conversion.path("webhook");
    JsonNode clientConfig = webhook.path("clientConfig");
    String caBundle = clientConfig.path("caBundle").asString("");
    bundlesInUse.add(caBundle);
    WebhookConversion.Endpoint endpoint;
    try {
      WebhookClient client = clients.get(caBundle);
      if (client == null) clients.put(caBundle, client = new WebhookClient(caBundle));
      WebhookClient c = client;
      endpoint = review -> c.post(svc, clientConfig, review, WebhookConversion.TIMEOUT_SECONDS);
    } catch (Exception e) {
      String why = "could not get REST client: unable to load root certificates: " + e.getMessage();
      endpoint = review -> {
        throw new WebhookClient.CallFailure(why);
      };
    }
    List<CustomResource> out = new ArrayList<>();
    for (CustomResource t : types) {
      if (t.type().equals(t.storage())) {
        out.add(t);
        continue;
      }
      out.add(new CustomResource(t.type(), t.storage(), t.definition(), t.served(), new WebhookConversion(t.type(), t.storage(),
          strings(webhook.path("conversionReviewVersions")), endpoint)));
    }
    return out;
  }

  /** The served types of one definition (its served versions, and its storage version). */
  static List<CustomResource> types(ObjectNode crd) {
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    String group = spec.path("group").asString("");
    String plural = names.path("plural").asString("");
    String kind = names.path("kind").asString("");
    if (group.isEmpty() || plural.isEmpty() || kind.isEmpty()) return List.of();
    boolean namespaced = "Namespaced".equals(spec.path("scope").asString(""));
    List<String> shortNames = strings(names.path("shortNames"));
    List<String> categories = strings(names.path("categories"));
    ResourceType storage = null;
    List<ResourceType> versions = new ArrayList<>();
    List<Boolean> served = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      boolean isServed = v.path("served").asBoolean(false);
      boolean isStorage = v.path("storage").asBoolean(false);
      if (!isServed && !isStorage) continue;
      Set<String> subresources = new LinkedHashSet<>();
      if (v.path("subresources").path("status").isObject()) subresources.add("status");
      if (v.path("subresources").path("scale").isObject()) subresources.add("scale");
      ResourceType t = new ResourceType(group, v.path("name").asString(), plural, kind, namespaced, shortNames, categories,
          Set.copyOf(subresources), CustomResource.MODEL, true);
      if (isStorage) storage = t;
      versions.add(t);
      served.add(isServed);
    }
    if (storage == null) return List.of();
    List<CustomResource> out = new ArrayList<>();
    for (int i = 0; i < versions.size(); i++) out.add(new CustomResource(versions.get(i), storage, crd, served.get(i)));
    return out;
  }

  /**
   * For each definition being deleted: condition Terminating, its objects deleted, and once none is
   * left its finalizer removed (after which the definition and its types go). Every api-server does
   * this; the writes are idempotent.
   */
  private void cleanUp() {
    for (ObjectNode crd : svc.cache(definitions).snapshot(null, o -> true).objects()) {
      ObjectNode md = (ObjectNode) crd.path("metadata");
      if (!md.has("deletionTimestamp") || !strings(md.path("finalizers")).contains(CustomResourceDefinitions.CLEANUP_FINALIZER)) continue;
      String name = md.path("name").asString();
      try {
        List<CustomResource> types = types(crd);
        if (!types.isEmpty() && !deleteObjects(types.get(0).storage())) continue;
        svc.mutate(definitions, null, name, WriteOptions.DEFAULT, current -> {
          ArrayNode fins = ((ObjectNode) current.path("metadata")).putArray("finalizers");
          for (String f : strings(crd.path("metadata").path("finalizers"))) {
            if (!f.equals(CustomResourceDefinitions.CLEANUP_FINALIZER)) fins.add(f);
          }
          return current;
        });
      } catch (StatusException e) {
        if (e.code() != 404) log.warn("cleaning up the objects of {}: {}", name, e.getMessage());
      }
    }
  }

  /** Deletes every object of a type being undefined; true once none is left. */
  private boolean deleteObjects(ResourceType storage) {
    List<ObjectNode> left = svc.list(storage, null, ListOptions.ALL).items();
    if (left.isEmpty()) return true;
    ObjectNode crd = ResourceRegistry.customOf(storage) == null ? null : ResourceRegistry.customOf(storage).definition();
    if (crd != null) markTerminating(crd.path("metadata").path("name").asString());
    for (ObjectNode o : left) {
      JsonNode md = o.path("metadata");
      if (md.has("deletionTimestamp")) continue; // going; its finalizers are someone else's
      try {
        svc.delete(storage, md.path("namespace").asString(null), md.path("name").asString(), DeleteOptions.DEFAULT);
      } catch (StatusException e) {
        if (e.code() != 404) throw e;
      }
    }
    return svc.list(storage, null, ListOptions.ALL).items().isEmpty();
  }

  private void markTerminating(String name) {
    svc.mutate(definitions, null, name, new WriteOptions(false, null, "status"), current -> {
      ObjectNode status = current.get("status") instanceof ObjectNode s ? s : current.putObject("status");
      CustomResourceDefinitions.setCondition(status, "Terminating", "True", "InstanceDeletionInProgress",
          "CustomResource deletion is in progress");
      return current;
    });
  }

  private static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : arr) out.add(n.asString(""));
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
