package io.keelson.apiserver.streaming;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keelson.apiserver.nodeservice.AgentDirectory;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.ContainerRef;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Finds the agent that runs a pod: the pod's spec.nodeName, then the Node's InternalIP and
 * daemonEndpoints.kubeletEndpoint.Port, then the token that agent gave at registration.
 */
@Component
public class PodAgents {
  private final ResourceService resources;
  private final AgentDirectory agents;
  private final ResourceType pods = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private final ResourceType nodes = ResourceRegistry.find("", "v1", "nodes").orElseThrow();

  public PodAgents(ResourceService resources, AgentDirectory agents) {
    this.resources = resources;
    this.agents = agents;
  }

  /** A pod's agent and the reference to its container. */
  public record Target(AgentServiceGrpc.AgentServiceStub stub, ContainerRef ref, ObjectNode pod) {}

  public Target locate(String namespace, String name, String container) {
    ObjectNode pod = resources.get(pods, namespace, name);
    String node = pod.path("spec").path("nodeName").asString("");
    if (node.isEmpty()) {
      throw StatusException.badRequest("pod " + name + " does not have a host assigned");
    }
    String c = container == null ? "" : container;
    if (c.isEmpty()) {
      c = defaultContainer(pod);
    } else if (!hasContainer(pod, c)) {
      throw StatusException.badRequest("container " + c + " is not valid for pod " + name);
    }
    ContainerRef ref = ContainerRef.newBuilder()
        .setNamespace(namespace)
        .setPodName(name)
        .setPodUid(pod.path("metadata").path("uid").asString(""))
        .setContainer(c)
        .setNodeName(node)
        .build();
    return new Target(agentOf(node), ref, pod);
  }

  /** The agent serving {@code node}: its Node's InternalIP and kubelet endpoint port, and its token. */
  public AgentServiceGrpc.AgentServiceStub agentOf(String node) {
    ObjectNode n = resources.cached(nodes, null, node);
    if (n == null) {
      throw StatusException.notFound(nodes, node);
    }
    String host = internalIp(n);
    int port = agentPort(n);
    if (host == null || port == 0) {
      throw StatusException.internal("node " + node + " reports no agent endpoint (status.addresses / daemonEndpoints)");
    }
    AgentServiceGrpc.AgentServiceStub stub = agents.agent(node, host, port);
    if (stub == null) {
      throw StatusException.unavailable("the agent of node " + node + " has not connected to this api-server; retry shortly");
    }
    return stub;
  }

  /** A Node's InternalIP, or null. */
  public static String internalIp(JsonNode node) {
    for (JsonNode a : node.path("status").path("addresses")) {
      if ("InternalIP".equals(a.path("type").asString(""))) {
        return a.path("address").asString(null);
      }
    }
    return null;
  }

  /** The port its agent serves AgentService on (daemonEndpoints.kubeletEndpoint), or 0. */
  public static int agentPort(JsonNode node) {
    return node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
  }

  private static String defaultContainer(ObjectNode pod) {
    String annotated = pod.path("metadata").path("annotations").path("kubectl.kubernetes.io/default-container").asString("");
    if (!annotated.isEmpty()) {
      return annotated;
    }
    JsonNode cs = pod.path("spec").path("containers");
    return cs.size() > 0 ? cs.get(0).path("name").asString("") : "";
  }

  private static boolean hasContainer(ObjectNode pod, String c) {
    for (String list : new String[] {"containers", "initContainers", "ephemeralContainers"}) {
      for (JsonNode x : pod.path("spec").path(list)) {
        if (c.equals(x.path("name").asString(""))) {
          return true;
        }
      }
    }
    return false;
  }

  /** An agent-side gRPC failure as the Status error kubectl prints. */
  public static StatusException toStatus(Throwable t) {
    if (t instanceof StatusException se) {
      return se;
    }
    Status s = Status.fromThrowable(t);
    String msg = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
    return switch (s.getCode()) {
      case NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT -> StatusException.badRequest(msg);
      case UNAVAILABLE, DEADLINE_EXCEEDED -> StatusException.unavailable("error dialing backend: " + msg);
      default -> StatusException.internal(msg);
    };
  }

  static boolean isCancelled(Throwable t) {
    return t instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.CANCELLED;
  }
}
