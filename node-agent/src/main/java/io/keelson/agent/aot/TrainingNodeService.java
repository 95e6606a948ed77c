package io.keelson.agent.aot;

import com.google.protobuf.ByteString;
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
import io.keelson.proto.node.v1.UpdateNodeStatusRequest;
import io.keelson.proto.node.v1.UpdateNodeStatusResponse;
import io.keelson.proto.node.v1.WatchPodAssignmentsRequest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Just enough of the api-server's NodeService for the agent's AOT training run: registrations and
 * Lease renewals are accepted, the training pushes pod assignments down every open assignment
 * stream (after the empty snapshot's SYNCED), status reports are recorded, and a confirmed
 * termination is answered with the pod's DELETED, as the api-server does.
 */
final class TrainingNodeService extends NodeServiceGrpc.NodeServiceImplBase {
  private final List<StreamObserver<PodAssignment>> streams = new CopyOnWriteArrayList<>();
  private final AtomicLong resourceVersion = new AtomicLong(1000);
  final Set<String> registered = ConcurrentHashMap.newKeySet();
  final AtomicInteger leaseRenewals = new AtomicInteger();
  /** Pod name to the last phase the agent reported. */
  final Map<String, String> phases = new ConcurrentHashMap<>();
  final Set<String> terminated = ConcurrentHashMap.newKeySet();
  /** Pod name to its node and JSON (what a DELETED carries). */
  private final Map<String, String[]> pods = new ConcurrentHashMap<>();

  @Override
  public void registerNode(RegisterNodeRequest req, StreamObserver<RegisterNodeResponse> out) {
    String json = req.getNodeJson().toStringUtf8();
    int at = json.indexOf("\"name\":\"") + 8;
    registered.add(json.substring(at, json.indexOf('"', at)));
    out.onNext(RegisterNodeResponse.newBuilder().setNodeJson(req.getNodeJson()).build());
    out.onCompleted();
  }

  @Override
  public void updateNodeStatus(UpdateNodeStatusRequest req, StreamObserver<UpdateNodeStatusResponse> out) {
    out.onNext(UpdateNodeStatusResponse.getDefaultInstance());
    out.onCompleted();
  }

  @Override
  public void renewLease(RenewLeaseRequest req, StreamObserver<RenewLeaseResponse> out) {
    leaseRenewals.addAndGet(req.getNodeNamesCount());
    out.onNext(RenewLeaseResponse.getDefaultInstance());
    out.onCompleted();
  }

  @Override
  public void watchPodAssignments(WatchPodAssignmentsRequest req, StreamObserver<PodAssignment> out) {
    synchronized (out) {
      out.onNext(PodAssignment.newBuilder().setType(PodAssignment.Type.SYNCED).build());
    }
    streams.add(out);
  }

  int openStreams() {
    return streams.size();
  }

  /** A pod bound to {@code node} (ADDED), changed (MODIFIED) or gone (DELETED), to every stream. */
  void assign(PodAssignment.Type type, String node, String name, String podJson) {
    if (type == PodAssignment.Type.DELETED) {
      pods.remove(name);
    } else {
      pods.put(name, new String[] {node, podJson});
    }
    PodAssignment a = PodAssignment.newBuilder().setType(type).setNodeName(node).setPodJson(ByteString.copyFromUtf8(podJson))
        .setResourceVersion(Long.toString(resourceVersion.incrementAndGet())).build();
    for (StreamObserver<PodAssignment> s : streams) {
      synchronized (s) {
        s.onNext(a);
      }
    }
  }

  @Override
  public StreamObserver<ReportPodStatusRequest> reportPodStatus(StreamObserver<ReportPodStatusResponse> out) {
    AtomicLong applied = new AtomicLong();
    return new StreamObserver<>() {
      @Override
      public void onNext(ReportPodStatusRequest req) {
        for (PodStatusUpdate u : req.getUpdatesList()) {
          String json = u.getStatusJson().toStringUtf8();
          int at = json.indexOf("\"phase\":\"");
          phases.put(u.getName(), at < 0 ? "" : json.substring(at + 9, json.indexOf('"', at + 9)));
          applied.incrementAndGet();
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onNext(ReportPodStatusResponse.newBuilder().setApplied(applied.get()).build());
        out.onCompleted();
      }
    };
  }

  @Override
  public void confirmPodTermination(ConfirmPodTerminationRequest req, StreamObserver<ConfirmPodTerminationResponse> out) {
    String[] pod = pods.get(req.getName());
    if (pod != null && terminated.add(req.getName())) {
      assign(PodAssignment.Type.DELETED, pod[0], req.getName(), pod[1]);
    }
    out.onNext(ConfirmPodTerminationResponse.getDefaultInstance());
    out.onCompleted();
  }
}
