package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.ObjectCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kube's ServiceAccount admission: every pod gets the API credentials volume unless it opts out (its
 * ServiceAccount opting out is read from the watch cache, which this store has not: ServiceAccountAdmissionIT).
 */
class ServiceAccountAdmissionTest extends InMemoryRegistryTest {

  private static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  private static final String PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

  private static ObjectNode pod(String name, String extraSpec) {
    return (ObjectNode) ObjectCodec.JSON.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},"
        + "\"spec\":{" + extraSpec + "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\"}],"
        + "\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"},{\"name\":\"b\",\"image\":\"busybox\","
        + "\"volumeMounts\":[{\"name\":\"mine\",\"mountPath\":\"" + PATH + "\"}]}],"
        + "\"volumes\":[{\"name\":\"mine\",\"emptyDir\":{}}]}}");
  }

  private ObjectNode create(ObjectNode pod) {
    return svc.create(PODS, "default", pod, WriteOptions.manager("test"));
  }

  private static JsonNode mountAt(JsonNode container) {
    for (JsonNode m : container.path("volumeMounts")) if (PATH.equals(m.path("mountPath").asString())) return m;
    return null;
  }

  @Test
  void aPodGetsAProjectedTokenCaAndNamespaceMountedInContainersThatHaveNothingThere() {
    ObjectNode out = create(pod("p", ""));
    JsonNode volume = out.path("spec").path("volumes").path(1);
    String name = volume.path("name").asString();
    assertThat(name).matches("kube-api-access-[a-z0-9]{5}");
    JsonNode sources = volume.path("projected").path("sources");
    assertThat(sources.path(0).path("serviceAccountToken").path("expirationSeconds").asLong()).isEqualTo(3607);
    assertThat(sources.path(0).path("serviceAccountToken").path("path").asString()).isEqualTo("token");
    assertThat(sources.path(1).path("configMap").path("name").asString()).isEqualTo("kube-root-ca.crt");
    assertThat(sources.path(2).path("downwardAPI").path("items").path(0).path("fieldRef").path("fieldPath").asString())
        .isEqualTo("metadata.namespace");
    assertThat(volume.path("projected").path("defaultMode").asInt()).isEqualTo(420);

    JsonNode init = out.path("spec").path("initContainers").path(0);
    JsonNode a = out.path("spec").path("containers").path(0);
    JsonNode b = out.path("spec").path("containers").path(1);
    assertThat(mountAt(init).path("name").asString()).isEqualTo(name);
    assertThat(mountAt(a).path("name").asString()).isEqualTo(name);
    assertThat(mountAt(a).path("readOnly").asBoolean()).isTrue();
    assertThat(mountAt(b).path("name").asString()).as("the container's own mount at the path is kept").isEqualTo("mine");
    assertThat(b.path("volumeMounts").size()).isEqualTo(1);
  }

  @Test
  void aPodCanOptOut() {
    ObjectNode optedOut = create(pod("p1", "\"automountServiceAccountToken\":false,"));
    assertThat(optedOut.path("spec").path("volumes").size()).isEqualTo(1);
    assertThat(mountAt(optedOut.path("spec").path("containers").path(0))).isNull();

    ObjectNode optedIn = create(pod("p3", "\"automountServiceAccountToken\":true,"));
    assertThat(optedIn.path("spec").path("volumes").size()).isEqualTo(2);
  }
}
