package io.keelson.agent.server;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;

/**
 * Serves AgentService on --address:--port. Only callers presenting the agent token (handed to the
 * api-server at registration) get in.
 */
public final class AgentServer implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;

  public AgentServer(String address, int port, String agentToken, AgentServiceImpl service) {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(address, port))
            .addService(ServerInterceptors.intercept(service, tokenCheck(agentToken)))
            .maxInboundMessageSize(16 << 20)
            // The api-server pings every 30 s during long calls (exec, logs -f, port-forward); gRPC's
            // default floor of 5 min answered those pings with GOAWAY ENHANCE_YOUR_CALM (too_many_pings).
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .build();
  }

  public AgentServer start() throws IOException {
    server.start();
    return this;
  }

  public int port() {
    return server.getPort();
  }

  static ServerInterceptor tokenCheck(String token) {
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        if (auth == null || !MessageDigest.isEqual(expected, auth.getBytes(StandardCharsets.UTF_8))) {
          call.close(Status.UNAUTHENTICATED.withDescription("missing or wrong agent token"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
