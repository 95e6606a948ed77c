package io.keelson.apiserver.nodeservice;

import io.grpc.CallCredentials;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * Where each node's agent can be reached and the secret it accepts: learned from RegisterNode and
 * kept in etcd (Secret {@code kube-node-lease/keelson-agent-<node>}) so that every api-server
 * replica can proxy logs and exec to every agent, whichever replica the agent registered with.
 * Keeps one gRPC channel per agent endpoint for the log/exec/port-forward proxies.
 */
@Component
public class AgentDirectory implements AutoCloseable {
  private static final io.keelson.apiserver.resource.ResourceType SECRETS =
      io.keelson.apiserver.resource.ResourceRegistry.find("", "v1", "secrets").orElseThrow();
  private static final String NAMESPACE = "kube-node-lease";

  private final io.keelson.apiserver.registry.ResourceService resources;

  public AgentDirectory(io.keelson.apiserver.registry.ResourceService resources) {
    this.resources = resources;
  }
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  /** Remember the agent's token; {@code durable} also stores it for the other api-server replicas. */
  public void register(String nodeName, String agentToken, boolean durable) {
    if (agentToken != null && !agentToken.isEmpty()) {
      String before = tokens.put(nodeName, agentToken);
      if (durable && !agentToken.equals(before)) persist(nodeName, agentToken);
    }
  }

  public boolean knows(String nodeName) {
    return tokenOf(nodeName) != null;
  }

  private static String secretName(String nodeName) {
    return "keelson-agent-" + nodeName;
  }

  private void persist(String nodeName, String token) {
    String data = java.util.Base64.getEncoder().encodeToString(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    try {
      resources.mutate(SECRETS, NAMESPACE, secretName(nodeName),
          io.keelson.apiserver.registry.WriteOptions.manager("keelson-nodeservice"), s -> {
            s.putObject("data").put("token", data);
            return s;
          });
    } catch (io.keelson.apiserver.status.StatusException e) {
      if (e.code() != 404) throw e;
      tools.jackson.databind.node.ObjectNode secret = io.keelson.apiserver.storage.ObjectCodec.JSON.createObjectNode();
      secret.put("apiVersion", "v1");
      secret.put("kind", "Secret");
      secret.putObject("metadata").put("name", secretName(nodeName)).put("namespace", NAMESPACE);
      secret.put("type", "Opaque");
      secret.putObject("data").put("token", data);
      try {
        resources.create(SECRETS, NAMESPACE, secret, io.keelson.apiserver.registry.WriteOptions.manager("keelson-nodeservice"));
      } catch (io.keelson.apiserver.status.StatusException race) {
        if (race.code() != 409) throw race;
        persist(nodeName, token);
      }
    }
  }

  /** The token from this replica's memory, else from the Secret another replica stored. */
  private String tokenOf(String nodeName) {
    String t = tokens.get(nodeName);
    if (t != null) return t;
    try {
      String data = resources.get(SECRETS, NAMESPACE, secretName(nodeName)).path("data").path("token").asString("");
      if (data.isEmpty()) return null;
      t = new String(java.util.Base64.getDecoder().decode(data), java.nio.charset.StandardCharsets.UTF_8);
      tokens.put(nodeName, t);
      return t;
    } catch (io.keelson.apiserver.status.StatusException | IllegalArgumentException e) {
      return null;
    }
  }

  /** A stub for the agent of {@code nodeName} at host:port, or null when the agent never registered here. */
  public AgentServiceGrpc.AgentServiceStub agent(String nodeName, String host, int port) {
    String token = tokenOf(nodeName);
    if (token == null) {
      return null;
    }
    ManagedChannel ch = channels.computeIfAbsent(host + ":" + port, t ->
        NettyChannelBuilder.forTarget(t).usePlaintext().maxInboundMessageSize(16 << 20)
            .keepAliveTime(30, TimeUnit.SECONDS).build());
    awaitReady(ch, 5000);
    return AgentServiceGrpc.newStub(ch).withCallCredentials(new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata h = new Metadata();
        h.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(h);
      }
    });
  }

  /**
   * An agent that restarted leaves its channel in reconnect back-off (up to minutes), during which
   * calls fail at once: reconnect now and give it a moment.
   */
  private static void awaitReady(ManagedChannel ch, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    ConnectivityState state = ch.getState(true);
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      ch.resetConnectBackoff();
    }
    while (state != ConnectivityState.READY && System.currentTimeMillis() < deadline) {
      CountDownLatch changed = new CountDownLatch(1);
      ch.notifyWhenStateChanged(state, changed::countDown);
      try {
        changed.await(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      state = ch.getState(true);
      if (state == ConnectivityState.TRANSIENT_FAILURE) {
        ch.resetConnectBackoff();
      }
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
