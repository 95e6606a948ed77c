package io.keelson.apiserver.registry;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.resource.ResourceView;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.storage.ObjectLeases;
import io.keelson.apiserver.storage.StoreUnavailableException;
import io.keelson.apiserver.watch.WatchCache;
import io.keelson.apiserver.watch.WatchEvent;
import io.keelson.apiserver.watch.Watcher;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Create, read, update, delete, list and watch of every served kind, on etcd. This is the one path
 * by which objects change: the REST API, the gRPC NodeService and the bootstrap all write through
 * here, so defaulting, validation, field managers, graceful deletion and finalizers apply to all.
 *
 * <p>Every write is a compare-and-swap on the object's mod revision; an update that raced with
 * another writer is retried from a fresh read when the caller did not pin a resourceVersion, and
 * rejected with 409 Conflict when it did.
 */
public class ResourceService {

  /** Largest object etcd accepts in one request (its default --max-request-bytes). */
  public static final int MAX_OBJECT_BYTES = 1_572_864;

  private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final EtcdStore store;
  private final Map<ResourceType, WatchCache> caches = new HashMap<>();
  /** Watch caches of custom resources, by etcd key prefix (shared by a definition's versions), made on first use. */
  private final Map<String, WatchCache> customCaches = new java.util.concurrent.ConcurrentHashMap<>();
  private final int watchWindow;
  private final ListSnapshots listSnapshots = new ListSnapshots();
  private final Map<ResourceType, Long> ttlSeconds = new java.util.concurrent.ConcurrentHashMap<>();
  private final ObjectLeases leases;
  private volatile WriteGuard guard = WriteGuard.NONE;
  private volatile DynamicAdmission dynamic = DynamicAdmission.NONE;

  public ResourceService(EtcdStore store, int watchWindow) {
    this.store = store;
    this.leases = new ObjectLeases(store);
    this.watchWindow = watchWindow;
    for (ResourceType t : ResourceRegistry.all()) if (t.stored()) caches.put(t, new WatchCache(t, store, watchWindow));
  }

  /**
   * Objects of this type expire {@code ttl} after their last write (kube-apiserver's {@code --event-ttl}
   * for events): every create and update attaches them to an etcd lease, and etcd deletes them
   * when it runs out; watchers see DELETED.
   */
  public void expireAfter(ResourceType type, java.time.Duration ttl) {
    if (!type.stored()) throw new IllegalArgumentException(type.qualifiedResource() + " is not stored");
    ttlSeconds.put(type, Math.max(1, ttl.toSeconds()));
  }

  /**
   * Adds a check every validated create and update (of the object or a subresource) passes, given
   * who writes (RBAC's escalation check, NodeRestriction); checks run in the order added.
   */
  public void guardWrites(WriteGuard guard) {
    WriteGuard before = this.guard;
    this.guard = before == WriteGuard.NONE ? guard : before.andThen(guard);
  }

  /** Admission configured at run time (the admission webhooks), called on every create, update and delete. */
  public void admitDynamically(DynamicAdmission dynamic) {
    this.dynamic = dynamic;
  }

  /**
   * Admission of a create of a subresource that is no write of the object itself (pods/eviction,
   * pods/binding): the admission webhooks and ValidatingAdmissionPolicies see {@code body} (an Eviction,
   * a Binding) as kube sends it.
   */
  public void admitSubresourceCreate(ResourceType type, String subresource, String namespace, String name, ObjectNode body,
      boolean dryRun, io.keelson.apiserver.auth.UserInfo user) {
    DynamicAdmission.Attributes a = new DynamicAdmission.Attributes(type, subresource, "CREATE", namespace, name, body, null, dryRun, user,
        DynamicAdmission.options("CreateOptions", dryRun, null));
    ObjectNode mutated = dynamic.mutate(a);
    guard.admitSubresourceCreate(type, namespace, name, mutated, new WriteOptions(dryRun, null, subresource, false, user));
    dynamic.validate(a.withObject(mutated));
  }

  public void start() {
    caches.values().forEach(WatchCache::start);
  }

  public boolean ready() {
    return caches.values().stream().allMatch(WatchCache::ready);
  }

  public WatchCache cache(ResourceType type) {
    WatchCache c = caches.get(type);
    if (c != null || !io.keelson.apiserver.resource.CustomResource.isCustom(type)) return c;
    return customCaches.computeIfAbsent(type.keyPrefix(), prefix -> {
      WatchCache w = new WatchCache(type, store, watchWindow);
      w.start();
      return w;
    });
  }

  /**
   * A namespace's objects of {@code type} for admission that must see what was just written (kube's
   * LimitRanger and quota admission read an informer and, when it has none, look live, keeping that
   * answer 30 s): from the watch cache, brought up to etcd's current revision first when it has none
   * there and was not brought up for this namespace in the last 30 s, so a LimitRange or quota created
   * just before a pod is not missed while its watch event is on its way.
   */
  public List<ObjectNode> namespaceObjectsForAdmission(ResourceType type, String namespace) {
    WatchCache cache = cache(type);
    String prefix = type.keyPrefix() + namespace + "/";
    List<ObjectNode> objects = cache.snapshot(prefix, o -> true).objects();
    if (!objects.isEmpty() || !cache.ready()) return objects; // not started (a test's registry) or not listed yet: what it has
    long now = System.nanoTime();
    Long last = liveLookups.get(prefix);
    if (last != null && now - last < LIVE_LOOKUP_TTL_NANOS) return objects;
    if (liveLookups.size() > 10_000) liveLookups.clear(); // one entry per namespace seen: bounded, never needed long
    liveLookups.put(prefix, now);
    if (!cache.waitFor(call(store::currentRevision), 10_000)) {
      throw StatusException.unavailable("the watch cache of " + type.qualifiedResource() + " is not ready yet; retry");
    }
    return cache.snapshot(prefix, o -> true).objects();
  }

  private static final long LIVE_LOOKUP_TTL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
  private final java.util.concurrent.ConcurrentHashMap<String, Long> liveLookups = new java.util.concurrent.ConcurrentHashMap<>();

  /** Stops the watch cache of a custom resource whose definition is gone (its objects went first). */
  public void forgetCustom(String keyPrefix) {
    WatchCache c = customCaches.remove(keyPrefix);
    if (c != null) c.close();
  }

  public Map<ResourceType, WatchCache> caches() {
    return caches;
  }

  public EtcdStore store() {
    return store;
  }

  // ---------------------------------------------------------------- views (ResourceView)

  /** Runs a view's request on its storage; failures name the served resource and its fields. */
  private static <T> T viewed(ResourceView v, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusException e) {
      throw e.as(v.storage(), v.served(), v.conversion().servedFieldNames());
    }
  }

  private static ObjectNode served(ResourceView v, ObjectNode stored) {
    return v.conversion().toServed(stored);
  }

  private static Written servedWritten(ResourceView v, Written w) {
    if (w.object() == null) return w; // an unread result: nothing to show
    ObjectNode o = served(v, w.object());
    return new Written(o, w.json() == null ? null : ObjectCodec.JSON.writeValueAsBytes(o));
  }

  /** The list options with the view's field labels as its storage names them. */
  private static ListOptions storageOptions(ResourceView v, ListOptions opts) {
    return new ListOptions(opts.labels(), opts.fields().renamed(v.conversion().fieldLabels()), opts.resourceVersion(),
        opts.limit(), opts.continueToken(), opts.resourceVersionMatch());
  }

  // ---------------------------------------------------------------- reads

  /** The current object (a quorum read from etcd); 404 when absent. */
  public ObjectNode get(ResourceType type, String namespace, String name) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) return viewed(v, () -> served(v, get(v.storage(), namespace, name)));
    EtcdStore.Entry e = call(() -> store.get(type.key(namespace, name)));
    if (e == null) throw StatusException.notFound(type, name);
    return ObjectCodec.decode(e);
  }

  /**
   * A GET at {@code resourceVersion} (kube: "not older than" it): the quorum read of {@link #get} is
   * always at least that new, unless the revision is one this server has not reached — then kube's
   * 504 "Too large resource version" once the cache has waited for it as long as a list does.
   */
  public ObjectNode get(ResourceType type, String namespace, String name, String resourceVersion) {
    if (resourceVersion != null && !resourceVersion.isEmpty() && !resourceVersion.equals("0")) {
      ResourceView v = ResourceRegistry.viewOf(type);
      awaitRevision(cache(v != null ? v.storage() : type), parseRv(resourceVersion));
    }
    return get(type, namespace, name);
  }

  /** The object from the watch cache (may lag etcd slightly); null when absent. */
  public ObjectNode cached(ResourceType type, String namespace, String name) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      ObjectNode o = cached(v.storage(), namespace, name);
      return o == null ? null : served(v, o);
    }
    return cache(type).get(type.key(namespace, name));
  }

  /** A list result: items, the resourceVersion they are consistent with, the next page's token. */
  public record ListResult(List<ObjectNode> items, long resourceVersion, String continueToken, Long remaining) {}

  public ListResult list(ResourceType type, String namespace, ListOptions opts) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      ListResult r = viewed(v, () -> list(v.storage(), namespace, storageOptions(v, opts)));
      // the items at once: a conversion webhook is called once per list, not per object
      return new ListResult(v.conversion().toServed(r.items()), r.resourceVersion(), r.continueToken(), r.remaining());
    }
    Predicate<ObjectNode> filter = opts::matches;
    String prefix = namespace == null || !type.namespaced() ? type.keyPrefix() : type.keyPrefix() + namespace + "/";
    boolean continued = opts.continueToken() != null && !opts.continueToken().isEmpty();
    boolean paged = opts.limit() > 0 || continued;
    String rv = opts.resourceVersion() == null ? "" : opts.resourceVersion();
    String match = opts.resourceVersionMatch() == null ? "" : opts.resourceVersionMatch();
    if (continued && !rv.isEmpty() && !rv.equals("0")) {
      throw StatusException.badRequest("specifying resource version is not allowed when using continue");
    }
    // kube's semantics for list (API concepts, "Semantics for get and list"): rv=N is "not older
    // than N" unless a limit asks for pages, which are then cut at exactly N (or Exact is asked for).
    boolean atRevision = !rv.isEmpty() && !rv.equals("0") && !continued;
    boolean exact = atRevision && (match.equals("Exact") || (match.isEmpty() && opts.limit() > 0));
    if (!exact && (atRevision || !paged || rv.equals("0"))) {
      // from the cache: at least N (its pages kept for the continue tokens), or everything at once
      // ("0": whatever the cache has; "": once it has caught up with etcd)
      WatchCache cache = cache(type);
      if (atRevision) {
        awaitRevision(cache, parseRv(rv));
        if (paged) return firstPage(cache, prefix, opts);
      } else if (!cache.waitFor(rv.isEmpty() ? call(store::currentRevision) : 0, 10_000)) {
        throw StatusException.unavailable("the watch cache of " + type.qualifiedResource() + " is not ready yet; retry");
      }
      cache.checkReadable(prefix);
      WatchCache.Snapshot s = cache.snapshot(prefix, filter);
      return new ListResult(s.objects(), s.revision(), null, null);
    }
    long atRev = 0;
    String startKey = prefix;
    if (exact) {
      atRev = parseRv(rv);
      long current = call(store::currentRevision);
      if (atRev > current) throw tooLarge(atRev, current);
    } else if (continued) {
      Continue c = Continue.decode(opts.continueToken());
      if (!c.prefix.equals(prefix)) throw StatusException.badRequest("continue token does not belong to this list");
      atRev = c.revision;
      startKey = c.nextKey;
      // a later page of a list this api-server started from its cache: cut it from the same snapshot
      ListSnapshots.Snapshot snap = listSnapshots.get(prefix, atRev);
      if (snap != null) return page(snap, snap.positionOf(startKey), opts);
    } else if (rv.isEmpty()) {
      // A consistent paged list (kubectl get, informers' first list) starts from the watch cache
      // once it has caught up with etcd, as in kube 1.31+ (ConsistentListFromCache).
      WatchCache cache = cache(type);
      long want = call(store::currentRevision);
      if (cache.waitFor(want, 10_000)) return firstPage(cache, prefix, opts);
    }
    // Paged list straight from etcd (an exact resourceVersion, or a later page of a list whose
    // snapshot is not here): each page is read at the revision of the first one.
    List<ObjectNode> items = new ArrayList<>();
    long limit = exact && opts.limit() <= 0 ? Integer.MAX_VALUE : pageSize(opts); // an exact list without a limit: all of it
    String next = startKey;
    boolean more = true;
    long rev = atRev;
    long keysFromStart = -1; // etcd's count of the keys from the start key on, from the first read
    while (items.size() < limit && more) {
      EtcdStore.Page page;
      try {
        final String from = next;
        final long r = rev;
        page = call(() -> store.list(prefix, from, r, Math.max(limit - items.size() + 1, 2)));
      } catch (CompactedRuntime e) {
        if (exact) throw StatusException.gone("The resourceVersion for the provided list is too old.");
        throw StatusException.gone("The provided continue parameter is too old to display a consistent list result. "
            + "You can start a new list without the continue parameter.");
      }
      rev = page.revision();
      more = page.more();
      if (keysFromStart < 0) keysFromStart = page.count();
      for (EtcdStore.Entry e : page.entries()) {
        if (items.size() >= limit) {
          more = true;
          next = e.key();
          break;
        }
        next = e.key() + "\0"; // the smallest key after e
        ObjectNode o = ObjectCodec.decode(e);
        if (filter.test(o)) items.add(o);
      }
      if (page.entries().isEmpty()) more = false;
    }
    String token = more ? new Continue(prefix, rev, next).encode() : null;
    // metadata.remainingItemCount, as kube-apiserver sends it: only when more pages follow and no
    // selector filtered the keys (etcd's count cannot tell how many of the rest would match).
    Long remaining = more && opts.labels().isEverything() && opts.fields().isEverything()
        ? Math.max(0, keysFromStart - items.size()) : null;
    return new ListResult(items, rev, token, remaining);
  }

  /** How long a list at a resourceVersion this api-server has not seen yet waits for it (kube's cacher: 3 s). */
  private static final long TOO_LARGE_WAIT_MS = 3_000;

  /** Waits (as kube's cacher does) for the cache to reach {@code revision}; kube's 504 if it does not. */
  private static void awaitRevision(WatchCache cache, long revision) {
    if (!cache.waitFor(revision, TOO_LARGE_WAIT_MS)) throw tooLarge(revision, cache.revision());
  }

  /** kube's answer to a resourceVersion newer than the server has: 504, which client-go's reflector relists on. */
  private static StatusException tooLarge(long wanted, long current) {
    return new StatusException(504, "Timeout", "Too large resource version: " + wanted + ", current: " + current, null, null,
        null, List.of(new StatusException.Cause("ResourceVersionTooLarge", "Too large resource version", null)), 1);
  }

  /** The first page of a list cut from the cache's current snapshot (kept while later pages may come). */
  private ListResult firstPage(WatchCache cache, String prefix, ListOptions opts) {
    cache.checkReadable(prefix);
    WatchCache.KeyedSnapshot s = cache.keyedSnapshot(prefix);
    ListSnapshots.Snapshot snap = listSnapshots.snapshot(prefix, s.revision(), s.keys(), s.objects());
    ListResult first = page(snap, 0, opts);
    if (first.continueToken() != null) listSnapshots.put(snap);
    return first;
  }

  /** One page of a paged list, from a snapshot: up to {@code limit} matching objects from {@code from} on. */
  private static ListResult page(ListSnapshots.Snapshot snap, int from, ListOptions opts) {
    long limit = pageSize(opts);
    List<ObjectNode> items = new ArrayList<>();
    int i = from;
    for (; i < snap.objects().size() && items.size() < limit; i++) {
      ObjectNode o = snap.objects().get(i);
      if (opts.matches(o)) items.add(o);
    }
    boolean more = i < snap.objects().size();
    String token = more ? new Continue(snap.prefix(), snap.revision(), snap.keys().get(i)).encode() : null;
    // remainingItemCount only without selectors, as kube-apiserver sends it
    Long remaining = more && opts.labels().isEverything() && opts.fields().isEverything()
        ? (long) (snap.objects().size() - i) : null;
    return new ListResult(items, snap.revision(), token, remaining);
  }

  /** Items per page of a paged list: the limit asked for, or 500 for a continue token sent without one. */
  private static long pageSize(ListOptions opts) {
    return opts.limit() > 0 ? opts.limit() : 500;
  }

  /** Start a watch served by the cache (see {@link WatchCache#watch}). */
  public Watcher watch(ResourceType type, String namespace, ListOptions opts) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      Watcher w = viewed(v, () -> watch(v.storage(), namespace, storageOptions(v, opts)));
      w.convertEach(ev -> {
        if (ev.object() == null) return ev;
        try {
          return new WatchEvent(ev.type(), served(v, ev.object()), null, ev.revision()); // prev: only the filter, already applied, reads it
        } catch (StatusException e) {
          return new WatchEvent(WatchEvent.Type.ERROR, e.toStatus(), null, ev.revision()); // a failed conversion webhook: the stream says why
        }
      });
      return w;
    }
    String rv = opts.resourceVersion() == null ? "" : opts.resourceVersion();
    long from = rv.isEmpty() ? 0 : parseRv(rv);
    Predicate<ObjectNode> ns = namespace == null || !type.namespaced() ? o -> true
        : o -> namespace.equals(o.path("metadata").path("namespace").asString());
    WatchCache cache = cache(type);
    if (!cache.waitFor(0, 10_000)) throw StatusException.unavailable("the watch cache of " + type.qualifiedResource() + " is not ready yet; retry");
    if (from > 0 && from < cache.revision()) {
      // The cache window may still hold events etcd has compacted away; answer as etcd would
      // (410 Expired), so that a client resuming from a compacted revision relists.
      try {
        store.list(type.keyPrefix(), null, from + 1, 1);
      } catch (EtcdStore.CompactedException e) {
        throw StatusException.gone("too old resource version: " + from + " (etcd has compacted it)");
      } catch (StoreUnavailableException e) {
        // etcd unreachable: the window can still serve the watch
      }
    }
    java.util.Set<String> index = namespace == null || !type.namespaced() ? null : java.util.Set.of(WatchCache.namespaceKey(namespace));
    return cache.watch(from, o -> ns.test(o) && opts.matches(o), 10_000, index);
  }

  // ---------------------------------------------------------------- writes

  /** A written object and its JSON as a client sees it (with resourceVersion), encoded once with the stored bytes. */
  public record Written(ObjectNode object, byte[] json) {}

  public ObjectNode create(ResourceType type, String requestNamespace, ObjectNode obj, WriteOptions opts) {
    return createWritten(type, requestNamespace, obj.deepCopy(), opts).object();
  }

  /**
   * Create, taking ownership of {@code o} (the caller must not use it afterwards: a request body
   * parsed for this call needs no defensive copy). Returns the object and its response JSON.
   */
  public Written createWritten(ResourceType type, String requestNamespace, ObjectNode o, WriteOptions opts) {
    return create(type, requestNamespace, o, opts, false);
  }

  /**
   * As {@link #createWritten}, for callers that need only the response JSON (the REST create): the
   * created object goes to the watch cache as it is, not a copy, and {@code object()} of the result
   * is null — except on a dry run, where nothing is stored and the object is the answer.
   */
  public Written createForResponse(ResourceType type, String requestNamespace, ObjectNode o, WriteOptions opts) {
    return create(type, requestNamespace, o, opts, true);
  }

  private Written create(ResourceType type, String requestNamespace, ObjectNode o, WriteOptions opts, boolean objectUnread) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      v.conversion().validateCreate(type, o);
      ObjectNode asStored = v.conversion().toStorage(o);
      Written w = viewed(v, () -> create(v.storage(), requestNamespace, asStored, opts, false));
      return servedWritten(v, w);
    }
    String namespace = requestNamespace;
    ObjectNode md = metadata(o);
    if (type.namespaced()) {
      String bodyNs = text(md, "namespace");
      if (namespace == null) namespace = bodyNs == null ? "default" : bodyNs;
      if (bodyNs != null && !bodyNs.isEmpty() && !bodyNs.equals(namespace)) {
        throw StatusException.badRequest("the namespace of the provided object (" + bodyNs
            + ") does not match the namespace sent on the request (" + namespace + ")");
      }
      md.put("namespace", namespace);
      requireNamespaceOpen(namespace);
    } else {
      md.remove("namespace");
    }
    if (md.hasNonNull("resourceVersion") && !md.get("resourceVersion").asString().isEmpty()) {
      throw StatusException.badRequest("resourceVersion should not be set on objects to be created");
    }
    boolean generated = false;
    if (text(md, "name") == null || text(md, "name").isEmpty()) {
      String gen = text(md, "generateName");
      if (gen == null || gen.isEmpty()) {
        throw StatusException.invalid(type, "", List.of(new StatusException.Cause("FieldValueRequired",
            "name or generateName is required", "metadata.name")));
      }
      md.put("name", gen + randomSuffix());
      generated = true;
    }
    md.put("uid", io.keelson.apiserver.ids.RandomUuids.nextString());
    md.put("creationTimestamp", now());
    md.remove("deletionTimestamp");
    md.remove("deletionGracePeriodSeconds");
    md.put("generation", 1);
    Strategy.prepareForCreate(type, o);
    Strategy.applyDefaults(type, o, null, this::clusterIpInUse);
    Admission.admitCreate(this, type, o);
    if (io.keelson.apiserver.certificates.SigningRequests.is(type.group(), type.kind())) {
      io.keelson.apiserver.certificates.SigningRequests.recordRequester(o, opts.requester());
    }
    DynamicAdmission.Attributes admitted = new DynamicAdmission.Attributes(type, null, "CREATE", type.namespaced() ? namespace : null,
        text(md, "name"), o, null, opts.dryRun(), opts.requester(), DynamicAdmission.options("CreateOptions", opts.dryRun(), opts.fieldManager()));
    ObjectNode mutated = dynamic.mutate(admitted);
    if (mutated != o) {
      o = mutated;
      Strategy.applyDefaults(type, o, null, this::clusterIpInUse); // as kube decodes a webhook's patched object: with defaults
    }
    Strategy.validate(type, o, null);
    guard.admit(type, o, null, opts);
    dynamic.validate(admitted.withObject(o));
    o = Strategy.recordManager(type, null, o, opts.withSubresource(null));
    ObjectCodec.Stored stored = encodeChecked(type, o);
    // last before the write, as kube's quota admission: what is refused for another reason is not charged
    io.keelson.apiserver.quota.QuotaAdmission.admitCreate(this, type, o, opts.dryRun());
    if (opts.dryRun()) return new Written(o, null);
    for (int attempt = 0; ; attempt++) {
      String name = text(metadata(o), "name");
      final byte[] b = stored.bytes();
      final String key = type.key(namespace, name);
      // Unread: the cache may take o itself. After a failed create it never did (no event has these
      // bytes: the uid is new), so o can still be renamed for the next try.
      boolean handedOver = objectUnread && ObjectCodec.normalizeDecoded(o);
      Announced announced = handedOver ? handOver(type, key, stored, o) : announce(type, key, stored, o);
      try {
        long rev = callGuarded(() -> leased(type, lease -> store.create(key, b, lease)));
        if (handedOver) return new Written(null, stored.withResourceVersion(rev));
        ObjectCodec.setResourceVersion(o, rev);
        return new Written(o, stored.withResourceVersion(rev));
      } catch (StoreConflict | RuntimeException c) {
        announced.abandon();
        if (c instanceof RuntimeException r) throw r;
        if (generated && attempt < 5) {
          metadata(o).put("name", text(metadata(o), "generateName") + randomSuffix());
          stored = encodeChecked(type, o);
          continue;
        }
        throw StatusException.alreadyExists(type, name);
      }
    }
  }

  /**
   * Replace the object (PUT). With {@code metadata.resourceVersion} set, the write only succeeds
   * against that version (409 otherwise); without it, it applies to the latest version.
   */
  public ObjectNode update(ResourceType type, String namespace, String name, ObjectNode obj, WriteOptions opts) {
    return updateWritten(type, namespace, name, obj, opts).object();
  }

  /**
   * As {@link #update}, with the response JSON: the stored bytes with resourceVersion spliced in
   * (null when nothing was written: a no-op or a dry run).
   */
  public Written updateWritten(ResourceType type, String namespace, String name, ObjectNode obj, WriteOptions opts) {
    ObjectNode md = metadata(obj);
    String bodyName = text(md, "name");
    if (bodyName != null && !bodyName.isEmpty() && !bodyName.equals(name)) {
      throw StatusException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
    }
    String bodyNs = text(md, "namespace");
    if (type.namespaced() && bodyNs != null && !bodyNs.isEmpty() && !bodyNs.equals(namespace)) {
      throw StatusException.badRequest("the namespace of the provided object (" + bodyNs
          + ") does not match the namespace sent on the request (" + namespace + ")");
    }
    String pinned = text(md, "resourceVersion");
    long expected = pinned == null || pinned.isEmpty() ? 0 : parseRv(pinned);
    // The replacement ignores the current object: no copy of it is made for the change.
    return write(type, namespace, name, opts, expected, current -> obj.deepCopy(), false, false);
  }

  /**
   * Read-modify-write with retries: {@code change} gets a private copy of the current object and
   * returns the desired one. Used by PATCH and by internal writers (NodeService, binding, ...).
   */
  public ObjectNode mutate(ResourceType type, String namespace, String name, WriteOptions opts, UnaryOperator<ObjectNode> change) {
    return write(type, namespace, name, opts, 0, change, true, false).object();
  }

  /**
   * As {@link #mutate}, for writers that do not look at the result (the nodes' status writes and
   * lease renewals): the written object itself goes to the watch cache, not a copy of it.
   */
  public void mutateUnread(ResourceType type, String namespace, String name, WriteOptions opts, UnaryOperator<ObjectNode> change) {
    write(type, namespace, name, opts, 0, change, true, true);
  }

  /**
   * The write loop of update and mutate. {@code changeReadsCurrent}: {@code change} needs its own
   * copy of the current object (false: it ignores its argument, which is then the shared copy).
   */
  private Written write(ResourceType type, String namespace, String name, WriteOptions opts, long expected,
      UnaryOperator<ObjectNode> change, boolean changeReadsCurrent, boolean resultUnread) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      Written w = viewed(v, () -> write(v.storage(), namespace, name, opts, expected,
          current -> v.conversion().toStorage(change.apply(served(v, current))), false, false)); // served(): a private copy
      return servedWritten(v, w);
    }
    String key = type.key(namespace, name);
    Map<String, java.math.BigDecimal> quotaCharged = Map.of();
    for (int attempt = 0; ; attempt++) {
      // First try from the watch cache's copy, as kube-apiserver does: no etcd read, and the guarded
      // write below fails if etcd has moved on, after which the object is read from etcd itself.
      ObjectNode cached = attempt == 0 ? cache(type).get(key) : null;
      boolean fromCache = cached != null && (expected == 0 || expected == ObjectCodec.resourceVersion(cached));
      ObjectNode current; // read only: when from the cache, it is shared with watchers
      long stored;
      boolean staleAtRest = false; // sealed with an older key: written even when unchanged (key rotation)
      if (fromCache) {
        current = cached;
        stored = ObjectCodec.resourceVersion(cached);
      } else {
        EtcdStore.Entry e = call(() -> store.get(key));
        if (e == null) throw StatusException.notFound(type, name);
        current = ObjectCodec.decode(e);
        stored = e.modRevision();
        staleAtRest = e.stale();
      }
      if (expected != 0 && expected != stored) {
        throw StatusException.modified(type, name);
      }
      ObjectNode desired;
      try {
        desired = change.apply(changeReadsCurrent ? current.deepCopy() : current);
      } catch (StatusException e) {
        // a conflict found in the cache's copy (a patch's resourceVersion precondition) may only mean
        // the cache is behind: decide on etcd's copy, as kube's GuaranteedUpdate does
        if (fromCache && e.code() == 409) continue;
        throw e;
      }
      ObjectNode next = prepareUpdate(type, current, desired, opts);
      if (ObjectComparison.sameIgnoringRv(next, current) && !staleAtRest) {
        // Nothing to write: keep the resourceVersion — but only once etcd confirms that the cached
        // copy was current (a stale one could make a real change look like a no-op).
        if (fromCache) continue;
        return new Written(current, null);
      }
      // last before the write, as on create; only writes of the object itself are charged (kube's quota admission skips subresources)
      if (opts.subresource() == null) {
        quotaCharged = io.keelson.apiserver.quota.QuotaAdmission.admitUpdate(this, type, next, current, opts.dryRun(), quotaCharged);
      }
      if (opts.dryRun()) {
        // as kube's dry-run update: the object as it would be written, at the resourceVersion it was read at
        ObjectCodec.setResourceVersion(next, stored);
        return new Written(next, null);
      }
      if (finalizable(type, next)) {
        try {
          long rev = callGuarded(() -> store.guardedDelete(key, stored));
          ObjectCodec.setResourceVersion(next, rev);
          return new Written(next, null);
        } catch (StoreConflict c) {
          if (expected != 0 && !fromCache) throw StatusException.modified(type, name);
          continue; // from the cache: read etcd and try again (a real conflict is reported then)
        }
      }
      ObjectCodec.Stored encoded = encodeChecked(type, next);
      byte[] bytes = encoded.bytes();
      // Unread results: the cache may take next itself; from here on it is the cache's, not ours.
      boolean handedOver = resultUnread && ObjectCodec.normalizeDecoded(next);
      Announced announced = handedOver ? handOver(type, key, encoded, next) : announce(type, key, encoded, next);
      try {
        long rev = callGuarded(() -> leased(type, lease -> store.guardedPut(key, bytes, stored, lease)));
        if (handedOver) return new Written(null, null);
        ObjectCodec.setResourceVersion(next, rev);
        return new Written(next, encoded.withResourceVersion(rev));
      } catch (StoreConflict | RuntimeException c) {
        announced.abandon();
        if (c instanceof RuntimeException r) throw r;
        if (expected != 0 && !fromCache) throw StatusException.modified(type, name);
        if (attempt > 50) throw StatusException.modified(type, name);
      }
    }
  }

  /**
   * What a Binding (POST pods/{name}/binding) asks for: the pod, the node, and optionally the pod's
   * uid and resourceVersion as preconditions and annotations to merge into the pod's.
   */
  public record PodBinding(String pod, String node, String uid, String resourceVersion, Map<String, String> annotations) {}

  /**
   * Binds a pod to a node as kube-apiserver's BindingREST does: a guarded update of the stored pod
   * setting {@code spec.nodeName}, the binding's annotations and the {@code PodScheduled=True}
   * condition, and nothing else — not the update pipeline (defaulting, admission, validation of the
   * whole pod, managedFields: a binding leaves the pod's managedFields as they are). The first try
   * starts from the watch cache's copy; a failed guard or check is retried from etcd.
   *
   * @throws StatusException 404 when the pod does not exist; 409 when it is assigned already, being
   *     deleted, gated ({@code spec.schedulingGates}), or a uid / resourceVersion precondition fails;
   *     422 for a node name that is not a DNS subdomain
   */
  public void bind(ResourceType podType, String namespace, PodBinding b, boolean dryRun) {
    io.keelson.apiserver.admission.Validator.validateBindingTarget(podType, b.pod(), b.node());
    String key = podType.key(namespace, b.pod());
    for (int attempt = 0; ; attempt++) {
      ObjectNode cached = attempt == 0 ? cache(podType).get(key) : null;
      ObjectNode current;
      long stored;
      if (cached != null) {
        current = cached; // shared with watchers: read only, the change is made on a copy
        stored = ObjectCodec.resourceVersion(cached);
      } else {
        EtcdStore.Entry e = call(() -> store.get(key));
        if (e == null) throw StatusException.notFound(podType, b.pod());
        current = ObjectCodec.decode(e);
        stored = e.modRevision();
      }
      String why = unbindable(current, b, stored);
      if (why != null) {
        // The cache may lag (a gate removed, the pod re-created under its name): only etcd's copy decides.
        if (cached != null) continue;
        throw bindingConflict(b.pod(), why);
      }
      ObjectNode next = current.deepCopy();
      ObjectNode md = metadata(next);
      md.remove("resourceVersion");
      ((ObjectNode) next.get("spec")).put("nodeName", b.node());
      if (b.annotations() != null && !b.annotations().isEmpty()) {
        ObjectNode ann = md.get("annotations") instanceof ObjectNode a ? a : md.putObject("annotations");
        b.annotations().forEach(ann::put);
      }
      setPodScheduled(next);
      if (dryRun) return;
      ObjectCodec.Stored encoded = encodeChecked(podType, next);
      byte[] bytes = encoded.bytes();
      // nothing is answered from next: the cache takes it as it is
      Announced announced = ObjectCodec.normalizeDecoded(next) ? handOver(podType, key, encoded, next)
          : announce(podType, key, encoded, next);
      try {
        callGuarded(() -> store.guardedPut(key, bytes, stored));
        return;
      } catch (StoreConflict | RuntimeException c) {
        announced.abandon();
        if (c instanceof RuntimeException r) throw r;
        if (attempt > 50) throw StatusException.modified(podType, b.pod());
      }
    }
  }

  /** A binding's 409 as kube-apiserver words it: "Operation cannot be fulfilled on pods/binding ...". */
  private static StatusException bindingConflict(String pod, String why) {
    return new StatusException(409, "Conflict", "Operation cannot be fulfilled on pods/binding \"" + pod + "\": " + why,
        "pods/binding", "", pod, List.of(), null);
  }

  /** Why {@code pod} cannot take this binding (kube's messages), or null. */
  private static String unbindable(ObjectNode pod, PodBinding b, long storedRv) {
    ObjectNode md = metadata(pod);
    String name = b.pod();
    if (b.uid() != null && !b.uid().isEmpty() && !b.uid().equals(text(md, "uid"))) {
      return "Precondition failed: UID in precondition: " + b.uid() + ", UID in object meta: " + Objects.toString(text(md, "uid"), "");
    }
    if (b.resourceVersion() != null && !b.resourceVersion().isEmpty() && !b.resourceVersion().equals(Long.toString(storedRv))) {
      return "Precondition failed: ResourceVersion in precondition: " + b.resourceVersion()
          + ", ResourceVersion in object meta: " + storedRv;
    }
    if (md.has("deletionTimestamp")) return "pod " + name + " is being deleted, cannot be assigned to a host";
    String node = pod.path("spec").path("nodeName").asString("");
    if (!node.isEmpty()) return "pod " + name + " is already assigned to node \"" + node + "\"";
    if (pod.path("spec").path("schedulingGates").size() > 0) return "pod " + name + " has non-empty .spec.schedulingGates";
    if (!(pod.get("spec") instanceof ObjectNode)) return "pod " + name + " has no spec";
    return null;
  }

  /**
   * Sets {@code PodScheduled=True} as kube's UpdatePodCondition does: the condition is replaced
   * (reason and message of an earlier {@code False} go), its transition time kept if it was True already.
   */
  private static void setPodScheduled(ObjectNode pod) {
    ObjectNode st = pod.get("status") instanceof ObjectNode s ? s : pod.putObject("status");
    ArrayNode conds = st.get("conditions") instanceof ArrayNode a ? a : st.putArray("conditions");
    String transition = now();
    int at = -1;
    for (int i = 0; i < conds.size(); i++) {
      JsonNode c = conds.get(i);
      if ("PodScheduled".equals(c.path("type").asString(""))) {
        at = i;
        if ("True".equals(c.path("status").asString("")) && c.hasNonNull("lastTransitionTime")) {
          transition = c.get("lastTransitionTime").asString();
        }
      }
    }
    ObjectNode c = ObjectCodec.JSON.createObjectNode();
    c.put("type", "PodScheduled");
    c.put("status", "True");
    c.putNull("lastProbeTime");
    c.put("lastTransitionTime", transition);
    if (at < 0) conds.add(c);
    else conds.set(at, c);
  }

  private static final Set<String> STATUS_ONLY = Set.of("status");

  /**
   * The object to store for an update: system fields kept, status/spec split by subresource,
   * generation bumped. {@code current} is only read (it may be the watch cache's shared copy);
   * {@code desired} is the caller's own and may become the result.
   */
  private ObjectNode prepareUpdate(ResourceType type, ObjectNode current, ObjectNode desired, WriteOptions opts) {
    String sub = opts.subresource();
    ObjectNode next;
    if ("status".equals(sub)) {
      if (desired != current && ObjectComparison.sameApartFrom(desired, current, STATUS_ONLY, Set.of())) {
        // The usual status write changed a copy of the current object only in status: that copy is
        // already the object to store, no second copy of the current one is needed.
        next = desired;
      } else {
        next = current.deepCopy();
        if (desired.has("status")) next.set("status", desired.get("status"));
        else next.remove("status");
      }
    } else if ("ephemeralcontainers".equals(sub)) {
      // kubectl debug: of the body, only spec.ephemeralContainers counts (kube's dropNonEphemeralContainerUpdates)
      next = current.deepCopy();
      ObjectNode spec = next.has("spec") && next.get("spec").isObject() ? (ObjectNode) next.get("spec") : next.putObject("spec");
      JsonNode added = desired.path("spec").path("ephemeralContainers");
      if (added.isArray() && !added.isEmpty()) spec.set("ephemeralContainers", added);
      else spec.remove("ephemeralContainers");
    } else if ("approval".equals(sub)) {
      next = desired; // the conditions of it; the rest as stored (below)
      next.put("apiVersion", type.apiVersion());
      next.put("kind", type.kind());
    } else if ("finalize".equals(sub)) {
      next = current.deepCopy();
      ObjectNode spec = next.has("spec") && next.get("spec").isObject() ? (ObjectNode) next.get("spec") : next.putObject("spec");
      JsonNode fins = desired.path("spec").path("finalizers");
      if (fins.isArray()) spec.set("finalizers", fins);
      else spec.remove("finalizers");
    } else {
      next = desired;
      next.put("apiVersion", type.apiVersion());
      next.put("kind", type.kind());
      if (type.hasSubresource("status")) {
        if (current.has("status")) next.set("status", current.get("status").deepCopy());
        else next.remove("status");
      }
    }
    if (io.keelson.apiserver.certificates.SigningRequests.is(type.group(), type.kind())) {
      io.keelson.apiserver.certificates.SigningRequests.keepWhatTheWriteMayNotChange(next, current, sub);
    }
    ObjectNode md = metadata(next);
    ObjectNode cmd = metadata(current);
    for (String f : new String[] {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "name", "namespace"}) {
      if (cmd.has(f)) md.set(f, cmd.get(f));
      else md.remove(f);
    }
    if (md.has("generateName") && !cmd.has("generateName")) md.remove("generateName");
    md.remove("resourceVersion");
    long gen = cmd.path("generation").asLong(1);
    // Same node type as the stored one (an int after a JSON round trip): a LongNode would never
    // equal it, and every no-op update would then be written with a new resourceVersion.
    if (gen <= Integer.MAX_VALUE) md.put("generation", (int) gen);
    else md.put("generation", gen);
    if (cmd.has("deletionTimestamp") && md.has("finalizers")) {
      // While deleting, finalizers may only be removed, not added (Kubernetes' rule).
      List<String> before = strings(cmd.get("finalizers"));
      for (String f : strings(md.get("finalizers"))) {
        if (!before.contains(f)) {
          throw StatusException.forbidden("no new finalizers can be added if the object is being deleted, found new finalizers [\"" + f + "\"]");
        }
      }
    }
    if (sub == null || "ephemeralcontainers".equals(sub)) {
      Strategy.applyDefaults(type, next, current, this::clusterIpInUse); // for the latter: the new containers' defaults
    }
    if (sub == null) {
      if (type.hasSpec() && !ObjectComparison.sameSpec(next, current)) md.put("generation", gen + 1);
      if (type.kind().equals("Pod") && !next.path("spec").path("ephemeralContainers").equals(current.path("spec").path("ephemeralContainers"))) {
        throw StatusException.invalid(type, md.path("name").asString(""), List.of(new StatusException.Cause("FieldValueForbidden",
            "Forbidden: ephemeral containers are added through the pods/ephemeralcontainers subresource (kubectl debug), "
                + "not by updating the pod", "spec.ephemeralContainers")));
      }
    }
    Admission.admitUpdate(this, type, next, current, sub);
    DynamicAdmission.Attributes admitted = new DynamicAdmission.Attributes(type, sub, "UPDATE", type.namespaced() ? cmd.path("namespace").asString(null) : null,
        cmd.path("name").asString(""), next, current, opts.dryRun(), opts.requester(),
        DynamicAdmission.options("UpdateOptions", opts.dryRun(), opts.fieldManager()));
    ObjectNode mutated = dynamic.mutate(admitted);
    if (mutated != next) next = keepOutsideSubresource(type, mutated, next, sub, current);
    // A status write keeps everything but status as stored (see above), and the validation rules
    // are about the rest (kube's status updates do not validate the spec either): nothing to check.
    if (!"status".equals(sub) || io.keelson.apiserver.certificates.SigningRequests.is(type.group(), type.kind())) {
      Strategy.validate(type, next, current); // a CSR's status holds the issued certificate: checked too
    }
    guard.admit(type, next, current, opts);
    dynamic.validate(admitted.withObject(next));
    return Strategy.recordManager(type, current, next, opts);
  }

  /**
   * A webhook's change of an update, within what the write may change: a subresource write keeps
   * all but its part as stored (as kube's status strategy resets the rest after admission), and the
   * system metadata stays. Defaults apply to what the webhook wrote.
   */
  private ObjectNode keepOutsideSubresource(ResourceType type, ObjectNode mutated, ObjectNode before, String sub, ObjectNode current) {
    ObjectNode next = mutated;
    if ("status".equals(sub)) {
      next = before;
      if (mutated.has("status")) next.set("status", mutated.get("status"));
    } else if (sub != null) {
      return before; // ephemeralcontainers, approval, finalize: their own narrow rules above
    }
    ObjectNode md = metadata(next);
    ObjectNode cmd = metadata(current);
    for (String f : new String[] {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "name", "namespace", "generation"}) {
      if (metadata(before).has(f)) md.set(f, metadata(before).get(f));
      else md.remove(f);
    }
    if (sub == null) Strategy.applyDefaults(type, next, current, this::clusterIpInUse);
    return next;
  }

  /** An object marked for deletion whose finalizers are all gone may now disappear. */
  private static boolean finalizable(ResourceType type, ObjectNode o) {
    ObjectNode md = metadata(o);
    if (!md.has("deletionTimestamp")) return false;
    if (md.path("finalizers").size() > 0) return false;
    if (type.kind().equals("Namespace") && o.path("spec").path("finalizers").size() > 0) return false;
    if (type.kind().equals("Pod") && awaitsNode(o)) return false;
    return true;
  }

  /** A pod on a node keeps existing after delete until the node confirms its containers are gone. */
  private static boolean awaitsNode(ObjectNode pod) {
    String node = pod.path("spec").path("nodeName").asString("");
    String phase = pod.path("status").path("phase").asString("");
    long grace = metadata(pod).path("deletionGracePeriodSeconds").asLong(0);
    return !node.isEmpty() && grace > 0 && !phase.equals("Succeeded") && !phase.equals("Failed");
  }

  /** Result of a delete: the object as it was last seen, and whether it is gone or only marked. */
  public record DeleteResult(ObjectNode object, boolean gone) {}

  public DeleteResult delete(ResourceType type, String namespace, String name, DeleteOptions opts) {
    return delete(type, namespace, name, opts, true);
  }

  /**
   * A delete that admission already let through as part of another request: the eviction's delete of
   * its pod, which kube's EvictionREST does without admitting it again (webhooks and policies saw the
   * pods/eviction create).
   */
  public DeleteResult deleteAdmitted(ResourceType type, String namespace, String name, DeleteOptions opts) {
    return delete(type, namespace, name, opts, false);
  }

  private DeleteResult delete(ResourceType type, String namespace, String name, DeleteOptions opts, boolean admit) {
    ResourceView v = ResourceRegistry.viewOf(type);
    if (v != null) {
      DeleteResult r = viewed(v, () -> delete(v.storage(), namespace, name, opts, admit));
      return new DeleteResult(served(v, r.object()), r.gone());
    }
    String key = type.key(namespace, name);
    for (int attempt = 0; attempt < 50; attempt++) {
      EtcdStore.Entry e = call(() -> store.get(key));
      if (e == null) throw StatusException.notFound(type, name);
      ObjectNode current = ObjectCodec.decode(e);
      ObjectNode md = metadata(current);
      if (opts.preconditionUid() != null && !opts.preconditionUid().equals(text(md, "uid"))) {
        throw StatusException.conflict(type, name, "Precondition failed: UID in precondition: " + opts.preconditionUid()
            + ", UID in object meta: " + text(md, "uid"));
      }
      if (opts.preconditionResourceVersion() != null && !opts.preconditionResourceVersion().equals(text(md, "resourceVersion"))) {
        throw StatusException.conflict(type, name, "Precondition failed: ResourceVersion in precondition: "
            + opts.preconditionResourceVersion() + ", ResourceVersion in object meta: " + text(md, "resourceVersion"));
      }
      DynamicAdmission.Attributes admitted = new DynamicAdmission.Attributes(type, null, "DELETE", type.namespaced() ? namespace : null, name,
          null, current, opts.dryRun(), opts.requester(), deleteOptions(opts));
      if (admit) {
        dynamic.mutate(admitted); // a delete has no object to change: kube ignores what a mutating webhook answers but its verdict
        guard.admitDelete(type, current, new WriteOptions(opts.dryRun(), null, null, false, opts.requester()));
        dynamic.validate(admitted);
      }
      ObjectNode next = current.deepCopy();
      ObjectNode nmd = metadata(next);
      nmd.remove("resourceVersion");
      List<String> fins = new ArrayList<>(strings(nmd.get("finalizers")));
      String policy = opts.propagationPolicy();
      if ("Foreground".equals(policy) && !fins.contains("foregroundDeletion")) fins.add("foregroundDeletion");
      if ("Orphan".equals(policy) && !fins.contains("orphan")) fins.add("orphan");
      if (!fins.isEmpty()) {
        ArrayNode arr = nmd.putArray("finalizers");
        fins.forEach(arr::add);
      }
      boolean keep = !fins.isEmpty();
      if (!nmd.has("deletionTimestamp")) nmd.put("deletionTimestamp", now());
      if (type.kind().equals("Pod")) {
        long grace = opts.gracePeriodSeconds() != null ? opts.gracePeriodSeconds()
            : next.path("spec").path("terminationGracePeriodSeconds").asLong(30);
        long prevGrace = nmd.has("deletionGracePeriodSeconds") ? nmd.get("deletionGracePeriodSeconds").asLong() : Long.MAX_VALUE;
        grace = Math.min(Math.max(grace, 0), prevGrace);
        nmd.put("deletionGracePeriodSeconds", grace);
        if (awaitsNode(next)) keep = true;
      }
      if (type.kind().equals("Namespace")) {
        ObjectNode st = next.has("status") && next.get("status").isObject() ? (ObjectNode) next.get("status") : next.putObject("status");
        st.put("phase", "Terminating");
        if (next.path("spec").path("finalizers").size() > 0) keep = true;
      }
      if (opts.dryRun()) {
        if (keep) ObjectCodec.setResourceVersion(next, e.modRevision());
        return new DeleteResult(keep ? next : current, !keep);
      }
      try {
        if (keep) {
          if (ObjectComparison.sameIgnoringRv(next, current)) return new DeleteResult(current, false);
          byte[] b = encodeChecked(type, next).bytes();
          long rev = callGuarded(() -> leased(type, lease -> store.guardedPut(key, b, e.modRevision(), lease)));
          ObjectCodec.setResourceVersion(next, rev);
          return new DeleteResult(next, false);
        }
        long rev = callGuarded(() -> store.guardedDelete(key, e.modRevision()));
        ObjectCodec.setResourceVersion(current, rev);
        return new DeleteResult(current, true);
      } catch (StoreConflict c) {
        // raced with another writer: re-read and decide again
      }
    }
    throw StatusException.conflict(type, name, "too many concurrent changes while deleting; retry");
  }

  private static ObjectNode deleteOptions(DeleteOptions opts) {
    ObjectNode o = DynamicAdmission.options("DeleteOptions", opts.dryRun(), null);
    if (opts.gracePeriodSeconds() != null) o.put("gracePeriodSeconds", opts.gracePeriodSeconds());
    if (opts.propagationPolicy() != null) o.put("propagationPolicy", opts.propagationPolicy());
    return o;
  }

  /** Whether a Service already holds this cluster IP (so that allocation picks another). */
  private boolean clusterIpInUse(String ip) {
    ResourceType svcType = ResourceRegistry.find("", "v1", "services").orElseThrow();
    return !cache(svcType).snapshot(null, o -> {
      for (JsonNode n : o.path("spec").path("clusterIPs")) if (ip.equals(n.asString())) return true;
      return ip.equals(o.path("spec").path("clusterIP").asString(""));
    }).objects().isEmpty();
  }

  private void requireNamespaceOpen(String namespace) {
    ResourceType nsType = ResourceRegistry.find("", "v1", "namespaces").orElseThrow();
    ObjectNode ns = cached(nsType, null, namespace);
    if (ns == null) {
      EtcdStore.Entry e = call(() -> store.get(nsType.key(null, namespace)));
      if (e == null) {
        throw new StatusException(404, "NotFound", "namespaces \"" + namespace + "\" not found", "namespaces", "", namespace, List.of(), null);
      }
      ns = ObjectCodec.decode(e);
    }
    if (metadata(ns).has("deletionTimestamp")) {
      throw StatusException.forbidden("unable to create new content in namespace " + namespace + " because it is being terminated");
    }
  }

  // ---------------------------------------------------------------- helpers

  private ObjectCodec.Stored encodeChecked(ResourceType type, ObjectNode o) {
    ObjectCodec.Stored s = ObjectCodec.encodeStored(o);
    int n = s.bytes().length;
    if (n > MAX_OBJECT_BYTES) {
      throw StatusException.tooLarge(type.kind() + " \"" + text(metadata(o), "name") + "\" is too large to store: "
          + n + " bytes, the limit is " + MAX_OBJECT_BYTES + " bytes (etcd's request size); move large data out of the object");
    }
    return s;
  }

  /** A write announced to the watch cache (see {@link #announce}). */
  private record Announced(WatchCache cache, String key, WatchCache.Pending pending) {
    void abandon() {
      if (pending != null) cache.abandon(key, pending);
    }
  }

  /**
   * Tell the watch cache what is about to be written under {@code key} (before the transaction: its
   * event may arrive before the transaction's answer), so that it need not decode that event.
   */
  private Announced announce(ResourceType type, String key, ObjectCodec.Stored stored, ObjectNode object) {
    WatchCache cache = cache(type);
    ObjectNode copy = cache == null ? null : ObjectCodec.decodedCopy(object); // the writer keeps (and may change) its own
    if (copy != null) metadata(copy).remove("resourceVersion");
    return new Announced(cache, key, copy == null ? null : cache.expect(key, stored, copy));
  }

  /**
   * As {@link #announce}, giving the cache {@code object} itself (already as decoding would give it,
   * without resourceVersion): the caller must not touch it afterwards.
   */
  private Announced handOver(ResourceType type, String key, ObjectCodec.Stored stored, ObjectNode object) {
    WatchCache cache = cache(type);
    return new Announced(cache, key, cache == null ? null : cache.expect(key, stored, object));
  }

  public static ObjectNode metadata(ObjectNode o) {
    JsonNode md = o.get("metadata");
    return md instanceof ObjectNode m ? m : o.putObject("metadata");
  }

  static String text(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    return n == null || n.isNull() ? null : n.asString();
  }

  static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>();
    if (arr != null && arr.isArray()) for (JsonNode n : arr) out.add(n.asString());
    return out;
  }

  public static String now() {
    long sec = Instant.now().getEpochSecond();
    Second last = lastSecond;
    if (last.epochSecond == sec) return last.text;
    // Formatting an Instant is a few hundred ns on every write; it changes once a second.
    String text = Instant.ofEpochSecond(sec).toString();
    lastSecond = new Second(sec, text);
    return text;
  }

  /** The last second {@link #now} formatted, and its text (RFC 3339, as Instant.toString writes it). */
  private record Second(long epochSecond, String text) {}

  private static volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

  static String randomSuffix() {
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) sb.append(NAME_CHARS.charAt(RANDOM.nextInt(NAME_CHARS.length())));
    return sb.toString();
  }

  /** A resourceVersion a client sent, as a number; 400 when it is not one. */
  public static long parseRv(String rv) {
    try {
      long v = Long.parseLong(rv);
      if (v < 0) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw StatusException.badRequest("invalid resourceVersion \"" + rv + "\": it must be a non-negative integer");
    }
  }

  /** Continue tokens: which list, at which revision, from which key. */
  private record Continue(String prefix, long revision, String nextKey) {
    String encode() {
      String s = prefix + "\n" + revision + "\n" + nextKey;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static Continue decode(String token) {
      try {
        String[] p = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", 3);
        return new Continue(p[0], Long.parseLong(p[1]), p[2]);
      } catch (RuntimeException e) {
        throw StatusException.badRequest("invalid continue token");
      }
    }
  }

  private interface StoreCall<T> {
    T run() throws Exception;
  }

  private static final class StoreConflict extends Exception {}

  /** A write given the etcd lease to attach its object to (0: none). */
  private interface LeasedWrite {
    long run(long leaseId) throws Exception;
  }

  /**
   * Runs a write of this type with its lease, none for types that do not expire; once more with a
   * new lease when etcd no longer has the one handed out (revoked, or expired while unused).
   */
  private long leased(ResourceType type, LeasedWrite write) throws Exception {
    Long ttl = ttlSeconds.get(type);
    if (ttl == null) return write.run(0);
    long id = leases.leaseFor(ttl);
    try {
      return write.run(id);
    } catch (StoreUnavailableException e) {
      if (!EtcdStore.leaseNotFound(e)) throw e;
      leases.forget(id);
      return write.run(leases.leaseFor(ttl));
    }
  }

  private static final class CompactedRuntime extends RuntimeException {}

  private static <T> T call(StoreCall<T> c) {
    try {
      return c.run();
    } catch (StoreUnavailableException e) {
      throw StatusException.unavailable(e.getMessage());
    } catch (EtcdStore.CompactedException e) {
      throw new CompactedRuntime();
    } catch (StatusException e) {
      throw e;
    } catch (Exception e) {
      throw StatusException.internal(Objects.toString(e.getMessage(), e.toString()));
    }
  }

  private static <T> T callGuarded(StoreCall<T> c) throws StoreConflict {
    try {
      return c.run();
    } catch (EtcdStore.RevisionMismatchException e) {
      throw new StoreConflict();
    } catch (StoreUnavailableException e) {
      throw StatusException.unavailable(e.getMessage());
    } catch (StatusException e) {
      throw e;
    } catch (Exception e) {
      throw StatusException.internal(Objects.toString(e.getMessage(), e.toString()));
    }
  }
}
