package io.keelson.apiserver.auth.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.Authorizer.Attributes;
import io.keelson.apiserver.auth.Authorizer.Decision;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** What node "a" may do, request by request, with pod "web" bound to it and pod "db" bound to "b". */
class NodeAuthorizerTest {

  static final UserInfo NODE_A = new UserInfo("system:node:a", "", List.of("system:nodes", "system:authenticated"));

  static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s);
  }

  static final ObjectNode WEB = json("""
      {"metadata":{"name":"web","namespace":"apps"},"spec":{"nodeName":"a","serviceAccountName":"robot",
       "imagePullSecrets":[{"name":"pull"}],
       "volumes":[{"name":"conf","configMap":{"name":"web-conf"}},{"name":"tls","secret":{"secretName":"web-tls"}},
                  {"name":"data","persistentVolumeClaim":{"claimName":"web-data"}},
                  {"name":"all","projected":{"sources":[{"configMap":{"name":"kube-root-ca.crt"}}]}}],
       "containers":[{"name":"c","env":[{"name":"P","valueFrom":{"secretKeyRef":{"name":"web-password","key":"p"}}}],
                      "envFrom":[{"configMapRef":{"name":"web-env"}}]}]}}""");
  static final ObjectNode DB = json("""
      {"metadata":{"name":"db","namespace":"apps"},"spec":{"nodeName":"b",
       "volumes":[{"name":"tls","secret":{"secretName":"db-tls"}}],"containers":[{"name":"c"}]}}""");

  static final PodIndex PODS = new PodIndex() {
    @Override
    public ObjectNode pod(String namespace, String name) {
      return Stream.of(WEB, DB).filter(p -> p.path("metadata").path("name").asString("").equals(name)
          && p.path("metadata").path("namespace").asString("").equals(namespace)).findFirst().orElse(null);
    }

    @Override
    public List<ObjectNode> podsOn(String node, String namespace) {
      return Stream.of(WEB, DB).filter(p -> NodeAuthorizer.nodeOf(p).equals(node)
          && p.path("metadata").path("namespace").asString("").equals(namespace)).toList();
    }
  };

  /** RBAC that allows nothing, so every answer below is the node authorizer's own. */
  static final Authorizer NOTHING = new Authorizer() {
    @Override
    public Decision authorize(UserInfo user, Attributes request) {
      return new Decision(false, "");
    }

    @Override
    public List<Rule> rulesFor(UserInfo user, String namespace) {
      return List.of();
    }
  };

  final NodeAuthorizer authorizer = new NodeAuthorizer(NOTHING, PODS);

  static Attributes res(String verb, String group, String resource, String sub, String ns, String name) {
    return new Attributes(verb, group, resource, sub, ns, name, null);
  }

  static Stream<Arguments> decisions() {
    String noRelation = "no relationship found between node 'a' and this object";
    return Stream.of(
        // reads every node needs
        Arguments.of(res("list", "", "pods", "", "", ""), true, ""),
        Arguments.of(res("watch", "", "pods", "", "", ""), true, ""),
        Arguments.of(res("get", "", "nodes", "", "", "b"), true, ""),
        Arguments.of(res("watch", "", "services", "", "", ""), true, ""),
        Arguments.of(res("list", "discovery.k8s.io", "endpointslices", "", "", ""), true, ""),
        Arguments.of(res("list", "networking.k8s.io", "networkpolicies", "", "", ""), true, ""),
        Arguments.of(res("get", "node.k8s.io", "runtimeclasses", "", "", "vm"), true, ""),
        // objects its pods use, and nothing else
        Arguments.of(res("get", "", "secrets", "", "apps", "web-tls"), true, ""),
        Arguments.of(res("get", "", "secrets", "", "apps", "web-password"), true, ""),
        Arguments.of(res("get", "", "secrets", "", "apps", "pull"), true, ""),
        Arguments.of(res("get", "", "secrets", "", "apps", "db-tls"), false, noRelation),
        Arguments.of(res("get", "", "secrets", "", "other", "web-tls"), false, noRelation),
        Arguments.of(res("list", "", "secrets", "", "apps", ""), false, "can only get individual resources of this type"),
        Arguments.of(res("update", "", "secrets", "", "apps", "web-tls"), false, "can only read resources of this type"),
        Arguments.of(res("get", "", "configmaps", "", "apps", "web-conf"), true, ""),
        Arguments.of(res("get", "", "configmaps", "", "apps", "web-env"), true, ""),
        Arguments.of(res("get", "", "configmaps", "", "apps", "kube-root-ca.crt"), true, ""),
        Arguments.of(res("get", "", "configmaps", "", "apps", "other"), false, noRelation),
        Arguments.of(res("get", "", "persistentvolumeclaims", "", "apps", "web-data"), true, ""),
        Arguments.of(res("get", "", "persistentvolumeclaims", "", "apps", "db-data"), false, noRelation),
        Arguments.of(res("create", "", "serviceaccounts", "token", "apps", "robot"), true, ""),
        Arguments.of(res("create", "", "serviceaccounts", "token", "apps", "default"), false, noRelation),
        Arguments.of(res("get", "", "serviceaccounts", "", "apps", "robot"), false, ""),
        // its own Node, Lease and pods
        Arguments.of(res("patch", "", "nodes", "status", "", "a"), true, ""),
        Arguments.of(res("delete", "", "nodes", "", "", "a"), true, ""),
        Arguments.of(res("delete", "", "nodes", "", "", "b"), false, "node \"a\" is not allowed to modify node \"b\""),
        Arguments.of(res("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "a"), true, ""),
        Arguments.of(res("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "b"), false,
            "can only access node lease with the same name as the requesting node"),
        Arguments.of(res("get", "coordination.k8s.io", "leases", "", "kube-system", "a"), false,
            "can only access leases in the \"kube-node-lease\" namespace"),
        Arguments.of(res("patch", "", "pods", "status", "apps", "web"), true, ""),
        Arguments.of(res("delete", "", "pods", "", "apps", "web"), true, ""),
        Arguments.of(res("delete", "", "pods", "", "apps", "db"), false, "node \"a\" can only delete pods with spec.nodeName set to itself"),
        Arguments.of(res("create", "", "pods", "eviction", "apps", "db"), false, "node a can only evict pods with spec.nodeName set to itself"),
        Arguments.of(res("patch", "", "pods", "", "apps", "web"), false, ""),
        Arguments.of(res("create", "", "events", "", "apps", ""), true, ""),
        // what no node needs
        Arguments.of(res("create", "", "namespaces", "", "", ""), false, ""),
        Arguments.of(res("list", "rbac.authorization.k8s.io", "clusterroles", "", "", ""), false, ""),
        Arguments.of(res("create", "apps", "deployments", "", "apps", ""), false, ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("decisions")
  void nodeA(Attributes request, boolean allowed, String reason) {
    assertThat(authorizer.authorize(NODE_A, request)).isEqualTo(new Decision(allowed, reason));
  }

  @Test
  void othersAreRbacsAndRbacMayGrantANodeMore() {
    UserInfo jane = new UserInfo("jane", "", List.of("system:authenticated"));
    assertThat(authorizer.authorize(jane, res("list", "", "pods", "", "", "")).allowed()).as("not a node: RBAC only").isFalse();
    Authorizer everything = Authorizer.ALWAYS_ALLOW;
    assertThat(new NodeAuthorizer(everything, PODS).authorize(NODE_A, res("get", "", "secrets", "", "apps", "db-tls")).allowed())
        .as("a role bound to the node adds to what the node authorizer gives").isTrue();
    UserInfo nameless = new UserInfo("system:node:", "", List.of("system:nodes"));
    assertThat(authorizer.authorize(nameless, res("list", "", "pods", "", "", "")))
        .isEqualTo(new Decision(false, "unknown node for user \"system:node:\""));
  }
}
