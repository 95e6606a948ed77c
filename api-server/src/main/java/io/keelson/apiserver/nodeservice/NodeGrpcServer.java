package io.keelson.apiserver.nodeservice;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.keelson.apiserver.auth.AuthenticationFilter;
import io.keelson.apiserver.auth.ClientCertificates;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.auth.node.NodeIdentity;
import io.keelson.apiserver.auth.rbac.RbacAuthorizer;
import io.keelson.apiserver.registry.ResourceService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gRPC endpoint for node agents: NodeService on --grpc-port (api-port + 1), TLS with the
 * api-server's serving certificate (so agents verify it with the cluster CA from their kubeconfig).
 * Callers authenticate as on the REST API: a client certificate signed by the cluster CA (an
 * agent's {@code system:node:<name>}; asked for, not required) or the admin bearer token in the
 * {@code authorization} metadata. Only the admin and nodes may call; who called is in
 * {@link #CALLER} for {@link NodeServiceImpl} to keep a node to its own Node and pods.
 */
@Component
public class NodeGrpcServer implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(NodeGrpcServer.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The authenticated caller of the current call. */
  static final Context.Key<UserInfo> CALLER = Context.key("keelson-node-service-caller");

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
    builder.sslContext(GrpcSslContexts.forServer(tls.resolve("server.crt").toFile(), tls.resolve("server.key").toFile())
        .trustManager(tls.resolve("ca.crt").toFile()).clientAuth(ClientAuth.OPTIONAL).build());
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
        UserInfo user = null;
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
          if (!authentication.accepts(h.substring(7))) return refuse(call, Status.UNAUTHENTICATED.withDescription("the bearer token is not valid"));
          user = UserInfo.ADMIN;
        } else if (call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION) instanceof SSLSession tls) {
          try {
            user = ClientCertificates.user(tls.getPeerCertificates());
          } catch (SSLPeerUnverifiedException e) {
            // no client certificate
          }
        }
        if (user == null) {
          return refuse(call, Status.UNAUTHENTICATED.withDescription("a client certificate signed by the cluster CA or a valid bearer token is required"));
        }
        if (!RbacAuthorizer.superuser(user) && NodeIdentity.nodeName(user) == null) {
          return refuse(call, Status.PERMISSION_DENIED.withDescription("User \"" + user.username()
              + "\" may not use the NodeService: only node agents (group system:nodes, user system:node:<name>) and the admin may"));
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, user), call, headers, next);
      }
    };
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
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
