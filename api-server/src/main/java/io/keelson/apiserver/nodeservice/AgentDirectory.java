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
 * Where each node's agent can be reached and the secret it accepts: learned from RegisterNode
 * (the agent's token is held in memory only; after an api-server restart agents re-register on
 * reconnect). Keeps one gRPC channel per agent endpoint for the log/exec/port-forward proxies.
 */
@Component
public class AgentDirectory implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public void register(String nodeName, String agentToken) {
    if (agentToken != null && !agentToken.isEmpty()) {
      tokens.put(nodeName, agentToken);
    }
  }

  public boolean knows(String nodeName) {
    return tokens.containsKey(nodeName);
  }

  /** A stub for the agent of {@code nodeName} at host:port, or null when the agent never registered here. */
  public AgentServiceGrpc.AgentServiceStub agent(String nodeName, String host, int port) {
    String token = tokens.get(nodeName);
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
