package io.keelson.apiserver.nodeservice;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.auth.node.NodeIdentity;
import io.keelson.apiserver.auth.node.NodeRestriction;
import io.keelson.apiserver.registry.DeleteOptions;
import io.keelson.apiserver.registry.ObjectComparison;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.watch.WatchCache;
import io.keelson.apiserver.watch.WatchEvent;
import io.keelson.apiserver.watch.Watcher;
import io.keelson.proto.node.v1.ConfirmPodTerminationRequest;
import io.keelson.proto.node.v1.ConfirmPodTerminationResponse;
import io.keelson.proto.node.v1.NodeServiceGrpc;
import io.keelson.proto.node.v1.PodAssignment;
import io.keelson.proto.node.v1.PodStatusUpdate;
import io.keelson.proto.node.v1.RegisterNodeRequest;
import io.keelson.proto.node.v1.RegisterNodeResponse;
import io.keelson.proto.node.v1.RenewLeaseRequest;
import io.keelson.proto.node.v1.RenewLeaseResponse;
import io.keelson.proto.node.v1.ReportPodStatusRequest;
import io.keelson.proto.node.v1.ReportPodStatusResponse;
import io.keelson.proto.node.v1.UpdateNodeStatusRequest;
import io.keelson.proto.node.v1.UpdateNodeStatusResponse;
import io.keelson.proto.node.v1.WatchPodAssignmentsRequest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The api-server side of the node protocol (see node.proto): Node registration with pod CIDR
 * allocation, Leases, the per-node pod assignment stream (snapshot, SYNCED, changes — served from
 * the watch cache, so thousands of agents never touch etcd), batched pod status writes and the end
 * of graceful pod deletion. Every write goes through {@link ResourceService}.
 */
public class NodeServiceImpl extends NodeServiceGrpc.NodeServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(NodeServiceImpl.class);
  private static final String MANAGER = "keelson-agent";
  private static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final ResourceService resources;
  private final AgentDirectory agents;
  private final PodCidrAllocator cidrs;
  private final ResourceType nodes = type("", "v1", "nodes");
  private final ResourceType pods = type("", "v1", "pods");
  private final ResourceType leases = type("coordination.k8s.io", "v1", "leases");
  private final ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor();
  /** Bounds concurrent etcd writes of status batches across all agents. */
  private final Semaphore writeSlots = new Semaphore(64);

  public NodeServiceImpl(ResourceService resources, AgentDirectory agents, ClusterCidr podRange) {
    this.resources = resources;
    this.agents = agents;
    this.cidrs = new PodCidrAllocator(resources.store(), podRange);
  }

  private static ResourceType type(String group, String version, String resource) {
    return ResourceRegistry.find(group, version, resource).orElseThrow();
  }

  private static Status toStatus(RuntimeException e) {
    if (e instanceof StatusException se) {
      Status s = switch (se.code()) {
        case 400, 422 -> Status.INVALID_ARGUMENT;
        case 401 -> Status.UNAUTHENTICATED;
        case 403 -> Status.PERMISSION_DENIED;
        case 404 -> Status.NOT_FOUND;
        case 409 -> Status.ABORTED;
        case 410 -> Status.OUT_OF_RANGE;
        case 429, 503 -> Status.UNAVAILABLE;
        default -> Status.INTERNAL;
      };
      return s.withDescription(se.getMessage());
    }
    return Status.INTERNAL.withDescription(e.toString());
  }

  /**
   * NodeRestriction for the NodeService: an agent with a node's credentials acts for that node only
   * (the admin token, which tests and hollow nodes use, for any).
   */
  private static void mayActFor(String node) {
    UserInfo caller = NodeGrpcServer.CALLER.get();
    if (!NodeIdentity.isNode(caller)) return;
    String own = NodeIdentity.nodeName(caller);
    if (!node.equals(own)) {
      throw StatusException.forbidden(type("", "v1", "nodes"), node, "node \"" + own + "\" is not allowed to modify node \"" + node + "\"");
    }
  }

  // ------------------------------------------------------------------------------------ nodes

  @Override
  public void registerNode(RegisterNodeRequest req, StreamObserver<RegisterNodeResponse> out) {
    try {
      ObjectNode node = (ObjectNode) ObjectCodec.JSON.readTree(req.getNodeJson().toStringUtf8());
      String name = node.path("metadata").path("name").asString("");
      if (name.isEmpty()) {
        throw StatusException.badRequest("node has no metadata.name");
      }
      mayActFor(name);
      UserInfo caller = NodeGrpcServer.CALLER.get();
      if (NodeIdentity.isNode(caller)) {
        ObjectNode current = resources.cached(nodes, null, name);
        Set<String> forbidden = NodeRestriction.forbiddenLabels(node.path("metadata").path("labels"),
            current == null ? null : current.path("metadata").path("labels"), false);
        if (!forbidden.isEmpty()) {
          throw StatusException.forbidden(nodes, name, "node \"" + name + "\" is not allowed to set the following labels: " + String.join(", ", forbidden));
        }
      }
      ObjectNode stored = register(name, node);
      // Hollow nodes run nothing to proxy to: keep their thousands of tokens out of etcd.
      boolean hollow = "true".equals(node.path("metadata").path("labels").path("keelson.io/hollow").asString(""));
      agents.register(name, req.getAgentToken(), !hollow);
      out.onNext(RegisterNodeResponse.newBuilder()
          .setNodeJson(ByteString.copyFrom(ObjectCodec.JSON.writeValueAsBytes(stored))).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      log.warn("RegisterNode failed: {}", e.toString());
      out.onError(toStatus(e).asRuntimeException());
    }
  }

  private ObjectNode register(String name, ObjectNode node) {
    boolean hollow = "true".equals(node.path("metadata").path("labels").path("keelson.io/hollow").asString(""));
    ObjectNode current = resources.cached(nodes, null, name);
    if (current == null) {
      ObjectNode create = node.deepCopy();
      create.put("apiVersion", "v1");
      create.put("kind", "Node");
      ObjectNode spec = create.has("spec") && create.get("spec").isObject() ? (ObjectNode) create.get("spec") : create.putObject("spec");
      // hollow nodes run nothing: they need no share of the 256 real /24s
      String cidr = hollow ? null : cidrs.allocate(name, usedCidrs(), this::nodeExists);
      if (cidr != null) {
        spec.put("podCIDR", cidr);
        spec.putArray("podCIDRs").add(cidr);
      }
      ObjectNode status = create.has("status") ? (ObjectNode) create.get("status").deepCopy() : null;
      ObjectNode created;
      try {
        created = resources.create(nodes, null, create, WriteOptions.manager(MANAGER));
      } catch (StatusException e) {
        if (e.code() != 409) {
          throw e;
        }
        if (cidr != null) {
          cidrs.release(name, cidr);
        }
        return register(name, node); // raced with another registration: update instead
      }
      if (status != null && !created.has("status") || status != null && !created.get("status").equals(status)) {
        created = resources.mutate(nodes, null, name, WriteOptions.manager(MANAGER).withSubresource("status"), o -> {
          o.set("status", status);
          return o;
        });
      }
      log.info("node {} registered (podCIDR {})", name, cidr);
      return created;
    }
    // re-registration: the agent owns its labels and status; users' labels, taints and spec stay
    JsonNode labels = node.path("metadata").path("labels");
    ObjectNode updated = resources.mutate(nodes, null, name, WriteOptions.manager(MANAGER), o -> {
      ObjectNode md = ResourceService.metadata(o);
      ObjectNode l = md.has("labels") && md.get("labels").isObject() ? (ObjectNode) md.get("labels") : md.putObject("labels");
      if (labels.isObject()) {
        labels.properties().forEach(e -> l.set(e.getKey(), e.getValue()));
      }
      // and its own annotations (e.g. keelson.io/local-path-root, which moves with its state dir)
      JsonNode annotations = node.path("metadata").path("annotations");
      if (annotations.isObject() && !annotations.isEmpty()) {
        ObjectNode a = md.get("annotations") instanceof ObjectNode existing ? existing : md.putObject("annotations");
        annotations.properties().forEach(e -> a.set(e.getKey(), e.getValue()));
      }
      ObjectNode spec = o.has("spec") && o.get("spec").isObject() ? (ObjectNode) o.get("spec") : o.putObject("spec");
      if (!hollow && !spec.hasNonNull("podCIDR")) {
        String cidr = cidrs.allocate(name, usedCidrs(), this::nodeExists);
        if (cidr != null) {
          spec.put("podCIDR", cidr);
          spec.putArray("podCIDRs").add(cidr);
        }
      }
      return o;
    });
    if (node.has("status")) {
      JsonNode status = node.get("status");
      updated = resources.mutate(nodes, null, name, WriteOptions.manager(MANAGER).withSubresource("status"), o -> {
        mergeStatus(o, status);
        return o;
      });
    }
    return updated;
  }

  /**
   * The agent's status fields replace the stored ones, except that a condition whose status did not
   * change keeps its lastTransitionTime (the agent sends "now" every time).
   */
  private static void mergeStatus(ObjectNode node, JsonNode status) {
    ObjectNode st = node.has("status") && node.get("status").isObject() ? (ObjectNode) node.get("status") : node.putObject("status");
    JsonNode before = st.path("conditions");
    status.properties().forEach(e -> st.set(e.getKey(), e.getValue().deepCopy()));
    JsonNode after = st.path("conditions");
    if (before.isArray() && after.isArray()) {
      for (JsonNode c : after) {
        for (JsonNode b : before) {
          if (c instanceof ObjectNode co && b.path("type").equals(c.path("type")) && b.path("status").equals(c.path("status"))
              && b.has("lastTransitionTime")) {
            co.set("lastTransitionTime", b.get("lastTransitionTime"));
          }
        }
      }
    }
  }

  private boolean nodeExists(String name) {
    return resources.cached(nodes, null, name) != null;
  }

  private List<String> usedCidrs() {
    List<String> used = new ArrayList<>();
    WatchCache cache = resources.cache(nodes);
    for (ObjectNode n : cache.snapshot(null, o -> true).objects()) {
      String c = n.path("spec").path("podCIDR").asString("");
      if (!c.isEmpty()) {
        used.add(c);
      }
    }
    return used;
  }

  @Override
  public void updateNodeStatus(UpdateNodeStatusRequest req, StreamObserver<UpdateNodeStatusResponse> out) {
    try {
      mayActFor(req.getNodeName());
      JsonNode status = ObjectCodec.JSON.readTree(req.getStatusJson().toStringUtf8());
      resources.mutateUnread(nodes, null, req.getNodeName(), WriteOptions.manager(MANAGER).withSubresource("status"), o -> {
        mergeStatus(o, status);
        return o;
      });
      out.onNext(UpdateNodeStatusResponse.getDefaultInstance());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(toStatus(e).asRuntimeException());
    }
  }

  // ------------------------------------------------------------------------------------ leases

  @Override
  public void renewLease(RenewLeaseRequest req, StreamObserver<RenewLeaseResponse> out) {
    try {
      req.getNodeNamesList().forEach(NodeServiceImpl::mayActFor);
    } catch (StatusException e) {
      out.onError(toStatus(e).asRuntimeException());
      return;
    }
    RenewLeaseResponse.Builder resp = RenewLeaseResponse.newBuilder();
    String now = MICRO_TIME.format(Instant.now());
    int duration = req.getLeaseDurationSeconds() > 0 ? req.getLeaseDurationSeconds() : 40;
    List<Future<?>> work = new ArrayList<>();
    List<String> unknown = java.util.Collections.synchronizedList(new ArrayList<>());
    for (String name : req.getNodeNamesList()) {
      work.add(writers.submit(() -> {
        try {
          writeSlots.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        try {
          ObjectNode node = resources.cached(nodes, null, name);
          if (node == null) {
            unknown.add(name);
            return;
          }
          renew(name, node, now, duration);
        } catch (RuntimeException e) {
          log.warn("renewing lease of {} failed: {}", name, e.toString());
        } finally {
          writeSlots.release();
        }
      }));
    }
    for (Future<?> f : work) {
      try {
        f.get();
      } catch (Exception e) {
        // logged above
      }
    }
    resp.addAllUnknownNodes(unknown);
    out.onNext(resp.build());
    out.onCompleted();
  }

  private void renew(String name, ObjectNode node, String now, int duration) {
    try {
      resources.mutateUnread(leases, "kube-node-lease", name, WriteOptions.manager(MANAGER), o -> {
        ObjectNode spec = o.has("spec") && o.get("spec").isObject() ? (ObjectNode) o.get("spec") : o.putObject("spec");
        spec.put("holderIdentity", name);
        spec.put("leaseDurationSeconds", duration);
        spec.put("renewTime", now);
        return o;
      });
    } catch (StatusException e) {
      if (e.code() != 404) {
        throw e;
      }
      ObjectNode lease = ObjectCodec.JSON.createObjectNode();
      lease.put("apiVersion", "coordination.k8s.io/v1");
      lease.put("kind", "Lease");
      ObjectNode md = lease.putObject("metadata");
      md.put("name", name);
      md.put("namespace", "kube-node-lease");
      ObjectNode owner = md.putArray("ownerReferences").addObject();
      owner.put("apiVersion", "v1");
      owner.put("kind", "Node");
      owner.put("name", name);
      owner.put("uid", node.path("metadata").path("uid").asString(""));
      ObjectNode spec = lease.putObject("spec");
      spec.put("holderIdentity", name);
      spec.put("leaseDurationSeconds", duration);
      spec.put("renewTime", now);
      try {
        resources.create(leases, "kube-node-lease", lease, WriteOptions.manager(MANAGER));
      } catch (StatusException c) {
        if (c.code() != 409) {
          throw c;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------ pods

  @Override
  public void watchPodAssignments(WatchPodAssignmentsRequest req, StreamObserver<PodAssignment> out) {
    ServerCallStreamObserver<PodAssignment> call = (ServerCallStreamObserver<PodAssignment>) out;
    try {
      req.getNodeNamesList().forEach(NodeServiceImpl::mayActFor);
    } catch (StatusException e) {
      out.onError(toStatus(e).asRuntimeException());
      return;
    }
    Set<String> names = new HashSet<>(req.getNodeNamesList());
    WatchCache cache = resources.cache(pods);
    java.util.function.Predicate<ObjectNode> mine = o -> names.contains(o.path("spec").path("nodeName").asString(""));
    java.util.concurrent.atomic.AtomicReference<Watcher> current = new java.util.concurrent.atomic.AtomicReference<>();
    call.setOnCancelHandler(() -> {
      Watcher w = current.get();
      if (w != null) {
        w.close();
      }
    });
    Thread.ofVirtual().name("pod-assignments").start(() -> {
      Watcher watcher = null;
      try {
        if (!cache.waitFor(0, 10_000)) {
          throw StatusException.unavailable("the pod watch cache is not ready yet");
        }
        WatchCache.Snapshot snap = cache.snapshot(pods.keyPrefix(), mine);
        java.util.Set<String> index = new HashSet<>();
        for (String n : names) index.add(WatchCache.nodeKey(n));
        watcher = cache.watch(Math.max(1, snap.revision()), mine, 200_000, index);
        Watcher w = watcher;
        current.set(w);
        if (call.isCancelled()) {
          return;
        }
        for (ObjectNode pod : snap.objects()) {
          send(call, PodAssignment.Type.ADDED, pod, io.keelson.apiserver.watch.EncodedObjects.json(pod));
        }
        synchronized (call) {
          call.onNext(PodAssignment.newBuilder().setType(PodAssignment.Type.SYNCED)
              .setResourceVersion(Long.toString(snap.revision())).build());
        }
        while (!call.isCancelled()) {
          WatchEvent ev = w.next(System.currentTimeMillis() + 30_000);
          if (ev == null) {
            continue;
          }
          if (Watcher.isEnd(ev)) {
            break; // e.g. fell behind: the agent reconnects and gets a fresh snapshot
          }
          switch (ev.type()) {
            case ADDED -> send(call, PodAssignment.Type.ADDED, ev.object(), ev.objectJson());
            case MODIFIED -> {
              // the echo of the agent's own status write: nothing it reads has changed
              if (!onlyStatusChanged(ev.prev(), ev.object())) send(call, PodAssignment.Type.MODIFIED, ev.object(), ev.objectJson());
            }
            case DELETED -> send(call, PodAssignment.Type.DELETED, ev.object(), ev.objectJson());
            default -> {}
          }
        }
        if (!call.isCancelled()) {
          call.onCompleted();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        if (!call.isCancelled()) {
          call.onError(toStatus(e).asRuntimeException());
        }
      } finally {
        if (watcher != null) {
          watcher.close();
        }
      }
    });
  }

  /**
   * Whether {@code next} differs from {@code prev} only in status, resourceVersion or managedFields:
   * the echo of an agent's status write, which agents read pods without (they write the status and
   * never read it back). Not sending it saves encoding, sending and decoding a pod per status write.
   */
  static boolean onlyStatusChanged(ObjectNode prev, ObjectNode next) {
    return prev != null && next != null && ObjectComparison.sameApartFrom(prev, next, STATUS, ECHOED_METADATA);
  }

  private static final java.util.Set<String> STATUS = java.util.Set.of("status");
  private static final java.util.Set<String> ECHOED_METADATA = java.util.Set.of("resourceVersion", "managedFields");

  private static void send(ServerCallStreamObserver<PodAssignment> call, PodAssignment.Type type, ObjectNode pod, byte[] json) {
    PodAssignment a = PodAssignment.newBuilder()
        .setType(type)
        .setNodeName(pod.path("spec").path("nodeName").asString(""))
        .setPodJson(ByteString.copyFrom(json))
        .setResourceVersion(pod.path("metadata").path("resourceVersion").asString(""))
        .build();
    synchronized (call) {
      call.onNext(a);
    }
  }

  @Override
  public StreamObserver<ReportPodStatusRequest> reportPodStatus(StreamObserver<ReportPodStatusResponse> out) {
    AtomicLong applied = new AtomicLong();
    String node = NodeIdentity.nodeName(NodeGrpcServer.CALLER.get()); // the writers' threads do not see the call's context
    return new StreamObserver<>() {
      @Override
      public void onNext(ReportPodStatusRequest batch) {
        List<Future<?>> work = new ArrayList<>();
        for (PodStatusUpdate u : batch.getUpdatesList()) {
          work.add(writers.submit(() -> {
            try {
              writeSlots.acquire();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            try {
              if (writeStatus(u, node)) {
                applied.incrementAndGet();
              }
            } catch (RuntimeException e) {
              log.warn("status of pod {}/{} not written: {}", u.getNamespace(), u.getName(), e.toString());
            } finally {
              writeSlots.release();
            }
          }));
        }
        // the batch is done before the next one is read, which keeps a pod's updates in order
        for (Future<?> f : work) {
          try {
            f.get();
          } catch (Exception e) {
            // logged above
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        // the agent went away; it resends everything on its next stream
      }

      @Override
      public void onCompleted() {
        out.onNext(ReportPodStatusResponse.newBuilder().setApplied(applied.get()).build());
        out.onCompleted();
      }
    };
  }

  /** @param node the calling agent's node, null for the admin */
  private boolean writeStatus(PodStatusUpdate u, String node) {
    ObjectNode cached = resources.cached(pods, u.getNamespace(), u.getName());
    if (cached == null || !u.getUid().equals(cached.path("metadata").path("uid").asString(""))) {
      return false;
    }
    if (node != null && !node.equals(cached.path("spec").path("nodeName").asString(""))) {
      throw StatusException.forbidden(pods, u.getName(), "node \"" + node + "\" can only update pod status for pods with spec.nodeName set to itself");
    }
    JsonNode status = ObjectCodec.JSON.readTree(u.getStatusJson().toStringUtf8());
    if (status.equals(cached.get("status"))) {
      return false;
    }
    try {
      resources.mutateUnread(pods, u.getNamespace(), u.getName(), WriteOptions.manager(MANAGER).withSubresource("status"), o -> {
        if (!u.getUid().equals(o.path("metadata").path("uid").asString(""))) {
          return o;
        }
        JsonNode st = status.deepCopy();
        // keep what others own in status (the scheduler's nominatedNodeName, resize, ...)
        JsonNode old = o.get("status");
        if (st instanceof ObjectNode && old != null && old.has("nominatedNodeName") && !st.has("nominatedNodeName")) {
          ((ObjectNode) st).set("nominatedNodeName", old.get("nominatedNodeName"));
        }
        o.set("status", st);
        return o;
      });
      return true;
    } catch (StatusException e) {
      if (e.code() == 404) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public void confirmPodTermination(ConfirmPodTerminationRequest req, StreamObserver<ConfirmPodTerminationResponse> out) {
    try {
      String node = NodeIdentity.nodeName(NodeGrpcServer.CALLER.get());
      ObjectNode pod = resources.cached(pods, req.getNamespace(), req.getName());
      if (node != null && pod != null && !node.equals(pod.path("spec").path("nodeName").asString(""))) {
        throw StatusException.forbidden(pods, req.getName(), "node \"" + node + "\" can only delete pods with spec.nodeName set to itself");
      }
      resources.delete(pods, req.getNamespace(), req.getName(),
          new DeleteOptions(0L, null, req.getUid().isEmpty() ? null : req.getUid(), null, false));
    } catch (StatusException e) {
      if (e.code() != 404 && e.code() != 409) {
        out.onError(toStatus(e).asRuntimeException());
        return;
      }
    } catch (RuntimeException e) {
      out.onError(toStatus(e).asRuntimeException());
      return;
    }
    out.onNext(ConfirmPodTerminationResponse.getDefaultInstance());
    out.onCompleted();
  }
}
