package io.keelson.agent.harness;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
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
import io.keelson.proto.node.v1.WatchPodAssignmentsRequest;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory NodeService served in-process: what the api-server does for agents (nodes, leases,
 * the pod assignment stream, status writes, graceful deletion), without etcd. Tests put pods in,
 * delete them, and read back what the agent reported.
 */
public final class FakeControlPlane implements AutoCloseable {
  private final String name = "fake-control-plane-" + UUID.randomUUID();
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final Map<String, PodStatus> statuses = new ConcurrentHashMap<>();
  private final Map<String, Instant> leases = new ConcurrentHashMap<>();
  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private final List<String> confirmed = new CopyOnWriteArrayList<>();
  private final AtomicInteger rv = new AtomicInteger(1);
  private final AtomicInteger statusWrites = new AtomicInteger();
  private final Server server;

  private record Watch(Set<String> nodes, ServerCallStreamObserver<PodAssignment> out) {}

  public FakeControlPlane() throws IOException {
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new Service()).build().start();
  }

  public ManagedChannel channel() {
    return InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  // ------------------------------------------------------------------ what tests do

  /** Creates (or replaces) a pod; its uid is set when missing. */
  public Pod apply(Pod pod) {
    if (pod.getMetadata().getUid() == null) {
      pod.getMetadata().setUid(UUID.randomUUID().toString());
    }
    if (pod.getMetadata().getNamespace() == null) {
      pod.getMetadata().setNamespace("default");
    }
    pod.getMetadata().setResourceVersion(Integer.toString(rv.incrementAndGet()));
    boolean existed = pods.put(key(pod), pod) != null;
    broadcast(existed ? PodAssignment.Type.MODIFIED : PodAssignment.Type.ADDED, pod);
    return pod;
  }

  /** Graceful delete, like the api-server: set deletionTimestamp, wait for the agent's confirmation. */
  public void delete(String namespace, String podName, long graceSeconds) {
    Pod pod = pods.get(namespace + "/" + podName);
    Pod copy = Serialization.clone(pod);
    copy.getMetadata().setDeletionTimestamp(Instant.now().toString());
    copy.getMetadata().setDeletionGracePeriodSeconds(graceSeconds);
    apply(copy);
  }

  /** Removes a pod at once (force delete / deleted while the agent was away). */
  public void remove(String namespace, String podName) {
    Pod pod = pods.remove(namespace + "/" + podName);
    if (pod != null) {
      broadcast(PodAssignment.Type.DELETED, pod);
    }
  }

  public Pod pod(String namespace, String podName) {
    return pods.get(namespace + "/" + podName);
  }

  /** The newest status the agent reported for the pod (by uid), or null. */
  public PodStatus status(Pod pod) {
    return statuses.get(pod.getMetadata().getUid());
  }

  public Map<String, Node> nodes() {
    return nodes;
  }

  public Map<String, Instant> leases() {
    return leases;
  }

  public List<String> confirmed() {
    return confirmed;
  }

  public int statusWrites() {
    return statusWrites.get();
  }

  /** Ends every assignment stream, as an api-server restart would. */
  public void dropStreams() {
    for (Watch w : watches) {
      w.out.onError(io.grpc.Status.UNAVAILABLE.withDescription("api-server restarting").asRuntimeException());
    }
    watches.clear();
  }

  private static String key(Pod p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  private synchronized void broadcast(PodAssignment.Type type, Pod pod) {
    for (Watch w : watches) {
      if (w.nodes.contains(pod.getSpec().getNodeName()) && !w.out.isCancelled()) {
        send(w.out, type, pod);
      }
    }
  }

  private static void send(StreamObserver<PodAssignment> out, PodAssignment.Type type, Pod pod) {
    synchronized (out) {
      out.onNext(PodAssignment.newBuilder().setType(type).setNodeName(pod.getSpec().getNodeName())
          .setPodJson(ByteString.copyFromUtf8(Serialization.asJson(pod)))
          .setResourceVersion(pod.getMetadata().getResourceVersion()).build());
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private final class Service extends NodeServiceGrpc.NodeServiceImplBase {
    @Override
    public void registerNode(RegisterNodeRequest req, StreamObserver<RegisterNodeResponse> out) {
      Node node = Serialization.unmarshal(req.getNodeJson().toStringUtf8(), Node.class);
      Node stored = nodes.compute(node.getMetadata().getName(), (k, old) -> {
        String cidr = old != null && old.getSpec() != null ? old.getSpec().getPodCIDR() : "10.244." + nodes.size() + ".0/24";
        if (node.getSpec() == null) {
          node.setSpec(new io.fabric8.kubernetes.api.model.NodeSpec());
        }
        node.getSpec().setPodCIDR(cidr);
        return node;
      });
      out.onNext(RegisterNodeResponse.newBuilder().setNodeJson(ByteString.copyFromUtf8(Serialization.asJson(stored))).build());
      out.onCompleted();
    }

    @Override
    public void renewLease(RenewLeaseRequest req, StreamObserver<RenewLeaseResponse> out) {
      RenewLeaseResponse.Builder resp = RenewLeaseResponse.newBuilder();
      for (String n : req.getNodeNamesList()) {
        if (nodes.containsKey(n)) {
          leases.put(n, Instant.now());
        } else {
          resp.addUnknownNodes(n);
        }
      }
      out.onNext(resp.build());
      out.onCompleted();
    }

    @Override
    public void watchPodAssignments(WatchPodAssignmentsRequest req, StreamObserver<PodAssignment> out) {
      ServerCallStreamObserver<PodAssignment> call = (ServerCallStreamObserver<PodAssignment>) out;
      Set<String> names = Set.copyOf(req.getNodeNamesList());
      synchronized (FakeControlPlane.this) {
        for (Pod p : new ArrayList<>(pods.values())) {
          if (names.contains(p.getSpec().getNodeName())) {
            send(call, PodAssignment.Type.ADDED, p);
          }
        }
        synchronized (call) {
          call.onNext(PodAssignment.newBuilder().setType(PodAssignment.Type.SYNCED).build());
        }
        watches.add(new Watch(names, call));
      }
    }

    @Override
    public StreamObserver<ReportPodStatusRequest> reportPodStatus(StreamObserver<ReportPodStatusResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ReportPodStatusRequest batch) {
          for (PodStatusUpdate u : batch.getUpdatesList()) {
            statuses.put(u.getUid(), Serialization.unmarshal(u.getStatusJson().toStringUtf8(), PodStatus.class));
            statusWrites.incrementAndGet();
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onNext(ReportPodStatusResponse.getDefaultInstance());
          out.onCompleted();
        }
      };
    }

    @Override
    public void confirmPodTermination(ConfirmPodTerminationRequest req, StreamObserver<ConfirmPodTerminationResponse> out) {
      confirmed.add(req.getNamespace() + "/" + req.getName());
      Pod p = pods.get(req.getNamespace() + "/" + req.getName());
      if (p != null && p.getMetadata().getUid().equals(req.getUid())) {
        remove(req.getNamespace(), req.getName());
      }
      out.onNext(ConfirmPodTerminationResponse.getDefaultInstance());
      out.onCompleted();
    }
  }
}
