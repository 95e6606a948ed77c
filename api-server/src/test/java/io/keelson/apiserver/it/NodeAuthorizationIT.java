package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keelson.proto.node.v1.NodeServiceGrpc;
import io.keelson.proto.node.v1.RegisterNodeRequest;
import io.keelson.proto.node.v1.RenewLeaseRequest;
import io.keelson.proto.node.v1.UpdateNodeStatusRequest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node agent's own credentials against the real api-server: node "a"'s kubeconfig (as
 * {@code ./keelson up} issues it) reads pods and what its pods use, and is refused, with kube's
 * messages, the other node, the other node's pods and Secrets no pod of its own uses — through the
 * real kubectl and through the gRPC NodeService.
 */
class NodeAuthorizationIT {

  private static TestCluster c;
  private static Path nodeA;

  @BeforeAll
  static void up() throws Exception {
    Assumptions.assumeTrue(TestCluster.onPath("kubectl"), "no kubectl on this host");
    c = TestCluster.start("nodeauthz", 1);
    for (String node : List.of("a", "b")) {
      admin("POST", "/api/v1/nodes", "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + node + "\"}}");
    }
    for (String s : List.of("used", "unused")) {
      admin("POST", "/api/v1/namespaces/default/secrets",
          "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"" + s + "\"},\"stringData\":{\"k\":\"v\"}}");
    }
    var sa = c.send("POST", "/api/v1/namespaces/default/serviceaccounts",
        "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\"}}");
    assertThat(sa.statusCode()).as(sa.body()).isIn(201, 409);
    admin("POST", "/api/v1/namespaces/default/pods", pod("on-a", "a", "used"));
    admin("POST", "/api/v1/namespaces/default/pods", pod("on-b", "b", "unused"));
    // the launcher's way of issuing an agent's credentials
    Process issue = new ProcessBuilder(TestCluster.javaBin(), "-jar", c.root.resolve("api-server/target/keelson-api-server.jar").toString(),
        "--dir", c.dir.toString(), "--advertise-url", c.api().url(), "--issue-node-kubeconfig", "a").redirectErrorStream(true).start();
    assertThat(issue.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String out = new String(issue.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(issue.exitValue()).as(out).isZero();
    nodeA = c.dir.resolve("nodes/a/kubeconfig");
    assertThat(Files.getPosixFilePermissions(nodeA)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static String pod(String name, String node, String secret) {
    return """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},"spec":{"nodeName":"%s","automountServiceAccountToken":false,
         "containers":[{"name":"c","image":"keelson.local/busybox:latest"}],
         "volumes":[{"name":"s","secret":{"secretName":"%s"}}]}}""".formatted(name, node, secret);
  }

  private static void admin(String method, String path, String body) throws Exception {
    var r = c.send(method, path, body);
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
  }

  record Run(int code, String out) {}

  private static Run kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", nodeA.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void kubectlWithNodeCredentialsIsKeptToItsNode() throws Exception {
    assertThat(kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").out()).isEqualTo("system:node:a");
    Run pods = kubectl("get", "pods", "-o", "name");
    assertThat(pods.code()).as(pods.out()).isZero();
    assertThat(pods.out()).contains("pod/on-a", "pod/on-b");

    Run other = kubectl("label", "node", "b", "x=y");
    assertThat(other.code()).isNotZero();
    assertThat(other.out()).contains("Error from server (Forbidden): nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"");
    Run own = kubectl("label", "node", "a", "x=y");
    assertThat(own.code()).as(own.out()).isZero();
    Run role = kubectl("label", "node", "a", "node-role.kubernetes.io/control-plane=");
    assertThat(role.out()).contains("nodes \"a\" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane");

    Run podB = kubectl("label", "pod", "on-b", "x=y");
    assertThat(podB.out()).contains("pods \"on-b\" is forbidden: User \"system:node:a\" cannot patch resource \"pods\"");
    Run statusB = kubectl("patch", "pod", "on-b", "--subresource=status", "--type=merge", "-p", "{\"status\":{\"phase\":\"Failed\"}}");
    assertThat(statusB.out()).contains("pods \"on-b\" is forbidden: node \"a\" can only update pod status for pods with spec.nodeName set to itself");
    Run statusA = kubectl("patch", "pod", "on-a", "--subresource=status", "--type=merge", "-p", "{\"status\":{\"phase\":\"Running\"}}");
    assertThat(statusA.code()).as(statusA.out()).isZero();
    Run deleteB = kubectl("delete", "pod", "on-b", "--wait=false");
    assertThat(deleteB.out()).contains("node \"a\" can only delete pods with spec.nodeName set to itself");

    Run unused = kubectl("get", "secret", "unused");
    assertThat(unused.out()).contains("secrets \"unused\" is forbidden: User \"system:node:a\" cannot get resource \"secrets\" in API group \"\""
        + " in the namespace \"default\": no relationship found between node 'a' and this object");
    Run used = kubectl("get", "secret", "used", "-o", "jsonpath={.data.k}");
    assertThat(used.code()).as(used.out()).isZero();
    assertThat(used.out()).isEqualTo(Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8)));
    Run unbound = kubectl("create", "token", "default");
    assertThat(unbound.out()).contains("serviceaccounts \"default\" is forbidden: node requested token not bound to a pod");
    Run otherPod = kubectl("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=on-b");
    assertThat(otherPod.out()).contains("node requested token bound to a pod scheduled on a different node");
    Run ownPod = kubectl("create", "token", "default", "--bound-object-kind=Pod", "--bound-object-name=on-a");
    assertThat(ownPod.code()).as(ownPod.out()).isZero();
    Run list = kubectl("get", "secrets");
    assertThat(list.out()).contains("can only get individual resources of this type");
  }

  @Test
  void nodeServiceKeepsANodeCertificateToItsNode() throws Exception {
    String kubeconfig = Files.readString(nodeA);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", c.api().port + 1)
        .sslContext(GrpcSslContexts.forClient().trustManager(c.dir.resolve("tls/ca.crt").toFile())
            .keyManager(new ByteArrayInputStream(field(kubeconfig, "client-certificate-data")), new ByteArrayInputStream(field(kubeconfig, "client-key-data")))
            .build()).build();
    try {
      var stub = NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      StatusRuntimeException register = catchThrowableOfType(StatusRuntimeException.class, () -> stub.registerNode(RegisterNodeRequest.newBuilder()
          .setNodeJson(ByteString.copyFromUtf8("{\"metadata\":{\"name\":\"b\"}}")).build()));
      assertThat(register.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(register.getStatus().getDescription()).isEqualTo("nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"");
      StatusRuntimeException status = catchThrowableOfType(StatusRuntimeException.class, () -> stub.updateNodeStatus(UpdateNodeStatusRequest.newBuilder()
          .setNodeName("b").setStatusJson(ByteString.copyFromUtf8("{}")).build()));
      assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      StatusRuntimeException lease = catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.renewLease(RenewLeaseRequest.newBuilder().addNodeNames("a").addNodeNames("b").build()));
      assertThat(lease.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      // its own Node: fine
      stub.updateNodeStatus(UpdateNodeStatusRequest.newBuilder().setNodeName("a").setStatusJson(ByteString.copyFromUtf8("{}")).build());
      stub.renewLease(RenewLeaseRequest.newBuilder().addNodeNames("a").build());
    } finally {
      channel.shutdownNow();
    }
    // neither a certificate nor a token
    ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", c.api().port + 1)
        .sslContext(GrpcSslContexts.forClient().trustManager(c.dir.resolve("tls/ca.crt").toFile()).build()).build();
    try {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> NodeServiceGrpc.newBlockingStub(anonymous)
          .withDeadlineAfter(30, TimeUnit.SECONDS).renewLease(RenewLeaseRequest.newBuilder().addNodeNames("a").build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      anonymous.shutdownNow();
    }
  }

  private static byte[] field(String kubeconfig, String name) {
    Matcher m = Pattern.compile(name + ": (\\S+)").matcher(kubeconfig);
    assertThat(m.find()).as(name).isTrue();
    return Base64.getDecoder().decode(m.group(1));
  }
}
