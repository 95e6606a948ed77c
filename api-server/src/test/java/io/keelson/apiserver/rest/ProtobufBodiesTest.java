package io.keelson.apiserver.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Apps;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Protobuf bodies read as Go reads them: a zero in a plain-value field is "not set" (JSON omits
 * it), a zero in a pointer field and an empty message are values.
 */
class ProtobufBodiesTest {

  private static byte[] envelope(String apiVersion, String kind, com.google.protobuf.Message m) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {'k', '8', 's', 0});
    Runtime.Unknown.newBuilder().setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion(apiVersion).setKind(kind))
        .setRaw(m.toByteString()).build().writeTo(out);
    return out.toByteArray();
  }

  @Test
  void zerosGoWhereGoWouldOmitThemAndStayWhereTheyMeanSomething() throws Exception {
    // what Go's encoder writes for `kubectl create deployment web --replicas=0` plus a volume and a security context
    V1.Container c = V1.Container.newBuilder().setName("c").setImage("busybox").setStdin(false).setStdinOnce(false).setTty(false)
        .setWorkingDir("").setResources(V1.ResourceRequirements.newBuilder())
        .setSecurityContext(V1.SecurityContext.newBuilder().setAllowPrivilegeEscalation(false).setRunAsUser(0))
        .addVolumeMounts(V1.VolumeMount.newBuilder().setName("cache").setMountPath("/cache").setReadOnly(false))
        .setLivenessProbe(V1.Probe.newBuilder().setPeriodSeconds(0).setTimeoutSeconds(3)
            .setHandler(V1.ProbeHandler.newBuilder().setHttpGet(V1.HTTPGetAction.newBuilder().setPath("/healthz"))))
        .build();
    V1.PodSpec pod = V1.PodSpec.newBuilder().addContainers(c).setHostNetwork(false).setHostPID(false).setHostIPC(false)
        .setTerminationGracePeriodSeconds(0)
        .addVolumes(V1.Volume.newBuilder().setName("cache").setVolumeSource(V1.VolumeSource.newBuilder()
            .setEmptyDir(V1.EmptyDirVolumeSource.newBuilder()))).build();
    V1Apps.Deployment d = V1Apps.Deployment.newBuilder()
        .setMetadata(Meta.ObjectMeta.newBuilder().setName("web").setGeneration(0))
        .setSpec(V1Apps.DeploymentSpec.newBuilder().setReplicas(0).setMinReadySeconds(0).setPaused(false)
            .setSelector(Meta.LabelSelector.newBuilder().putMatchLabels("app", "web"))
            .setStrategy(V1Apps.DeploymentStrategy.newBuilder())
            .setTemplate(V1.PodTemplateSpec.newBuilder().setMetadata(Meta.ObjectMeta.newBuilder().putLabels("app", "web")).setSpec(pod)))
        .build();
    ObjectNode o = ProtobufBodies.decode(envelope("apps/v1", "Deployment", d));

    assertThat(o.path("kind").asString()).isEqualTo("Deployment");
    assertThat(o.path("metadata").has("generation")).isFalse();
    JsonNode spec = o.path("spec");
    assertThat(spec.has("minReadySeconds")).isFalse();
    assertThat(spec.has("paused")).isFalse();
    assertThat(spec.get("replicas").asInt(-1)).isZero(); // a pointer: an explicit 0, not "default to 1"
    assertThat(spec.get("strategy").isObject()).isTrue(); // an empty struct is still written by Go's JSON
    JsonNode ps = spec.at("/template/spec");
    assertThat(ps.has("hostNetwork") || ps.has("hostPID") || ps.has("hostIPC")).isFalse();
    assertThat(ps.get("terminationGracePeriodSeconds").asInt(-1)).isZero(); // pointer: delete at once
    assertThat(ps.at("/volumes/0/emptyDir").isObject()).isTrue(); // the volume's type, empty or not
    JsonNode container = ps.at("/containers/0");
    assertThat(container.has("stdin") || container.has("stdinOnce") || container.has("tty") || container.has("workingDir")).isFalse();
    assertThat(container.at("/volumeMounts/0").has("readOnly")).isFalse();
    JsonNode probe = container.get("livenessProbe"); // its handler inline, as in JSON
    assertThat(probe.at("/httpGet/path").asString()).isEqualTo("/healthz");
    assertThat(probe.has("handler") || probe.has("periodSeconds")).isFalse();
    assertThat(probe.get("timeoutSeconds").asInt()).isEqualTo(3);
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse(); // pointer: explicitly off
    assertThat(container.at("/securityContext/runAsUser").asInt(-1)).isZero(); // pointer: root, asked for
  }

  @Test
  void ingressesFromKubectlCreateIngressKeepTheRuleInlineAndOnePortField() throws Exception {
    // `kubectl create ingress web --rule=foo.com/x=svc:http`: Go writes the port's number 0 beside its name
    io.kubernetes.client.proto.V1Networking.HTTPIngressPath path = io.kubernetes.client.proto.V1Networking.HTTPIngressPath.newBuilder()
        .setPath("/x").setPathType("Exact").setBackend(io.kubernetes.client.proto.V1Networking.IngressBackend.newBuilder()
            .setService(io.kubernetes.client.proto.V1Networking.IngressServiceBackend.newBuilder().setName("svc")
                .setPort(io.kubernetes.client.proto.V1Networking.ServiceBackendPort.newBuilder().setName("http").setNumber(0))))
        .build();
    io.kubernetes.client.proto.V1Networking.Ingress ing = io.kubernetes.client.proto.V1Networking.Ingress.newBuilder()
        .setMetadata(Meta.ObjectMeta.newBuilder().setName("web"))
        .setSpec(io.kubernetes.client.proto.V1Networking.IngressSpec.newBuilder().addRules(
            io.kubernetes.client.proto.V1Networking.IngressRule.newBuilder().setHost("foo.com").setIngressRuleValue(
                io.kubernetes.client.proto.V1Networking.IngressRuleValue.newBuilder().setHttp(
                    io.kubernetes.client.proto.V1Networking.HTTPIngressRuleValue.newBuilder().addPaths(path)))))
        .build();
    JsonNode rule = ProtobufBodies.decode(envelope("networking.k8s.io/v1", "Ingress", ing)).at("/spec/rules/0");
    assertThat(rule.has("ingressRuleValue")).isFalse(); // inline in JSON: http beside host
    assertThat(rule.at("/http/paths/0/path").asString()).isEqualTo("/x");
    assertThat(rule.at("/http/paths/0/backend/service/port").toString()).isEqualTo("{\"name\":\"http\"}");
  }

  @Test
  void servicesFromKubectlCreateServiceHaveNoZeroPorts() throws Exception {
    V1.Service s = V1.Service.newBuilder().setMetadata(Meta.ObjectMeta.newBuilder().setName("web"))
        .setSpec(V1.ServiceSpec.newBuilder().setType("ClusterIP").setHealthCheckNodePort(0).setPublishNotReadyAddresses(false)
            .addPorts(V1.ServicePort.newBuilder().setName("80-8080").setPort(80).setNodePort(0).setProtocol("TCP")))
        .build();
    JsonNode spec = ProtobufBodies.decode(envelope("v1", "Service", s)).path("spec");
    assertThat(spec.has("healthCheckNodePort") || spec.has("publishNotReadyAddresses")).isFalse();
    assertThat(spec.at("/ports/0").has("nodePort")).isFalse();
    assertThat(spec.at("/ports/0/port").asInt()).isEqualTo(80);
  }
}
