package io.keelson.agent.api;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.keelson.proto.node.v1.NodeServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The one gRPC channel of an agent process to the api-server's NodeService (TLS with the cluster CA;
 * the agent's client certificate in the handshake, or a bearer token on every call). Hollow agents
 * share it among all their nodes.
 */
public final class NodeServiceConnection implements AutoCloseable {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final CallCredentials credentials;

  /** @param token null when the channel presents a client certificate instead */
  public NodeServiceConnection(ManagedChannel channel, String token) {
    this.channel = channel;
    this.credentials = token == null ? null : bearer(token);
  }

  public static NodeServiceConnection open(ClusterCredentials creds) throws IOException {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(creds.grpcTarget());
    if ("https".equals(creds.server().getScheme())) {
      var ssl = GrpcSslContexts.forClient();
      if (creds.caPem() != null) {
        ssl.trustManager(new ByteArrayInputStream(creds.caPem()));
      }
      if (creds.clientCertPem() != null) {
        ssl.keyManager(new ByteArrayInputStream(creds.clientCertPem()), new ByteArrayInputStream(creds.clientKeyPem()));
      }
      SslContext context = ssl.build();
      builder.sslContext(context);
    } else {
      builder.usePlaintext();
    }
    ManagedChannel channel =
        builder
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            .maxInboundMessageSize(64 << 20)
            .build();
    return new NodeServiceConnection(channel, creds.token());
  }

  public static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  public NodeServiceGrpc.NodeServiceBlockingStub blocking() {
    var stub = NodeServiceGrpc.newBlockingStub(channel);
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  public NodeServiceGrpc.NodeServiceStub async() {
    var stub = NodeServiceGrpc.newStub(channel);
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
