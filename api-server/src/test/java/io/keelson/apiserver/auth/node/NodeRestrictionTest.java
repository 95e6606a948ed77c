package io.keelson.apiserver.auth.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.node.ObjectNode;

/** NodeRestriction's verdicts on node "a"'s writes, with kube's messages. */
class NodeRestrictionTest {

  static final ResourceType NODES = ResourceRegistry.find("", "v1", "nodes").orElseThrow();
  static final ResourceType PODS = ResourceRegistry.find("", "v1", "pods").orElseThrow();
  static final ResourceType LEASES = ResourceRegistry.find("coordination.k8s.io", "v1", "leases").orElseThrow();

  static ObjectNode json(String s) {
    return NodeAuthorizerTest.json(s);
  }

  static final ObjectNode NODE_A = json("""
      {"metadata":{"name":"a","labels":{"kubernetes.io/hostname":"a","keelson.io/runtime.vm":"true"}},"spec":{}}""");

  static Stream<Arguments> writes() {
    return Stream.of(
        // type, object, old, subresource, expected message ("" = admitted)
        Arguments.of(NODES, NODE_A, null, "", ""),
        Arguments.of(NODES, json("{\"metadata\":{\"name\":\"b\"}}"), null, "", "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\""),
        Arguments.of(NODES, json("{\"metadata\":{\"name\":\"b\",\"labels\":{\"x\":\"y\"}}}"), json("{\"metadata\":{\"name\":\"b\"}}"), "",
            "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\""),
        Arguments.of(NODES, json("{\"metadata\":{\"name\":\"b\"},\"status\":{}}"), json("{\"metadata\":{\"name\":\"b\"}}"), "status",
            "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\""),
        Arguments.of(NODES, json("{\"metadata\":{\"name\":\"a\",\"labels\":{\"node-role.kubernetes.io/master\":\"\",\"team\":\"x\"}}}"), null, "",
            "nodes \"a\" is forbidden: node \"a\" is not allowed to set the following labels: node-role.kubernetes.io/master"),
        Arguments.of(NODES, json("""
            {"metadata":{"name":"a","labels":{"kubernetes.io/hostname":"a","node-restriction.kubernetes.io/pci":"ok"}}}"""), NODE_A, "",
            "nodes \"a\" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pci"),
        Arguments.of(NODES, json("""
            {"metadata":{"name":"a","labels":{"kubernetes.io/hostname":"a","node.kubernetes.io/exclude-from-external-load-balancers":"","team":"x"}}}"""),
            NODE_A, "", ""),
        Arguments.of(NODES, json("""
            {"metadata":{"name":"a","labels":{"kubernetes.io/hostname":"a"}},"spec":{"taints":[]}}"""),
            json("{\"metadata\":{\"name\":\"a\",\"labels\":{\"kubernetes.io/hostname\":\"a\"}},\"spec\":{\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}]}}"),
            "", "nodes \"a\" is forbidden: node \"a\" is not allowed to modify taints"),
        Arguments.of(PODS, json("{\"metadata\":{\"name\":\"p\",\"namespace\":\"apps\"},\"spec\":{\"nodeName\":\"a\"}}"), null, "",
            "pods \"p\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"a\" can only create mirror pods"),
        Arguments.of(PODS, json("""
            {"metadata":{"name":"p","namespace":"apps","annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"nodeName":"b"}}"""), null, "",
            "pods \"p\" is forbidden: node \"a\" can only create pods with spec.nodeName set to itself"),
        Arguments.of(PODS, json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"b\"},\"status\":{\"phase\":\"Failed\"}}"),
            json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"b\"}}"), "status",
            "pods \"p\" is forbidden: node \"a\" can only update pod status for pods with spec.nodeName set to itself"),
        Arguments.of(PODS, json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"a\"},\"status\":{\"phase\":\"Running\"}}"),
            json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"a\"}}"), "status", ""),
        Arguments.of(LEASES, json("{\"metadata\":{\"name\":\"a\",\"namespace\":\"kube-node-lease\"}}"), null, "", ""),
        Arguments.of(LEASES, json("{\"metadata\":{\"name\":\"b\",\"namespace\":\"kube-node-lease\"}}"), null, "",
            "leases.coordination.k8s.io \"b\" is forbidden: can only access node lease with the same name as the requesting node"));
  }

  @ParameterizedTest(name = "{0} {1} {3}")
  @MethodSource("writes")
  void nodeA(ResourceType type, ObjectNode obj, ObjectNode old, String sub, String message) {
    WriteOptions opts = new WriteOptions(false, null, sub.isEmpty() ? null : sub).by(NodeAuthorizerTest.NODE_A);
    StatusException e = catchThrowableOfType(StatusException.class, () -> new NodeRestriction().admit(type, obj, old, opts));
    if (message.isEmpty()) {
      assertThat(e).isNull();
    } else {
      assertThat(e).isNotNull();
      assertThat(e.getMessage()).isEqualTo(message);
      assertThat(e.code()).isEqualTo(403);
    }
  }

  @ParameterizedTest(name = "{0} {1} {3}")
  @MethodSource("writes")
  void othersAreNotRestricted(ResourceType type, ObjectNode obj, ObjectNode old, String sub, String ignored) {
    WriteOptions opts = new WriteOptions(false, null, sub.isEmpty() ? null : sub).by(UserInfo.ADMIN);
    new NodeRestriction().admit(type, obj, old, opts);
    new NodeRestriction().admit(type, obj, old, new WriteOptions(false, null, null));
  }
}
