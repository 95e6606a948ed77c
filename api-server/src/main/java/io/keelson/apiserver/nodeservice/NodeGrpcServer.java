package io.keelson.apiserver.nodeservice;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.keelson.apiserver.auth.AuthenticationFilter;
import io.keelson.apiserver.registry.ResourceService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gRPC endpoint for node agents: NodeService on --grpc-port (api-port + 1), TLS with the
 * api-server's serving certificate (so agents verify it with the cluster CA from their kubeconfig),
 * callers authenticated by the bearer token in the {@code authorization} metadata.
 */
@Component
public class NodeGrpcServer implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(NodeGrpcServer.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;
  private final int port;
  private volatile boolean running;

  public NodeGrpcServer(
      ResourceService resources,
      AgentDirectory agents,
      AuthenticationFilter authentication,
      @Value("${keelson.dir}") String dir,
      @Value("${keelson.grpc-port}") int port,
      @Value("${keelson.bind-address:127.0.0.1}") String bindAddress,
      @Value("${keelson.cluster-cidr:}") String clusterCidr) throws IOException {
    this.port = port;
    Path tls = Path.of(dir).resolve("tls");
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, port))
        .addService(ServerInterceptors.intercept(new NodeServiceImpl(resources, agents, podRange(clusterCidr)), bearer(authentication)))
        .maxInboundMessageSize(64 << 20)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
    builder.sslContext(GrpcSslContexts.forServer(tls.resolve("server.crt").toFile(), tls.resolve("server.key").toFile()).build());
    this.server = builder.build();
  }

  /** {@code keelson server --cluster-cidr}; without it (a server started by hand or by a test), the default. */
  private static ClusterCidr podRange(String cidr) {
    return cidr.isEmpty() ? ClusterCidr.DEFAULT : ClusterCidr.parse(cidr);
  }

  static ServerInterceptor bearer(AuthenticationFilter authentication) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String h = headers.get(AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7) || !authentication.accepts(h.substring(7))) {
          call.close(Status.UNAUTHENTICATED.withDescription("a valid bearer token is required"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  @Override
  public void start() {
    try {
      server.start();
      running = true;
      log.info("NodeService (gRPC, TLS) listening on port {}", port);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serve NodeService on port " + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void stop() {
    server.shutdownNow();
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
