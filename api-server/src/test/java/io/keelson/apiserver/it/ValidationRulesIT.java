package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CEL rules of a CustomResourceDefinition ({@code x-kubernetes-validations}) through the real
 * kubectl against a real api-server and etcd: a rule that does not compile rejects the definition,
 * valid objects are stored, invalid ones are refused with the rule's message at its field path, and
 * a transition rule ({@code self >= oldSelf}) holds on updates only.
 */
class ValidationRulesIT {

  private static final String DEFINITION = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: scalers.example.com
      spec:
        group: example.com
        scope: Namespaced
        names: {plural: scalers, singular: scaler, kind: Scaler}
        versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  x-kubernetes-validations:
                  - rule: "%s"
                    message: minReplicas must not exceed maxReplicas
                  properties:
                    minReplicas: {type: integer}
                    maxReplicas: {type: integer}
                    generation:
                      type: integer
                      x-kubernetes-validations:
                      - rule: self >= oldSelf
                        message: generation may not go down
      """;

  private static TestCluster c;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("validation-rules", 1);
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static String scaler(String name, int min, int max, int generation) {
    return """
        apiVersion: example.com/v1
        kind: Scaler
        metadata: {name: %s, namespace: default}
        spec: {minReplicas: %d, maxReplicas: %d, generation: %d}
        """.formatted(name, min, max, generation);
  }

  @Test
  void rulesGuardTheObjectsOfADefinition() throws Exception {
    TestCluster.Kubectl r = c.apply("broken-crd", DEFINITION.formatted("self.minReplicas <="));
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("CustomResourceDefinition \"scalers.example.com\" is invalid: "
        + "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: ")
        .contains("compilation failed: ERROR: <input>:1:20: ");

    r = c.apply("crd", DEFINITION.formatted("self.minReplicas <= self.maxReplicas"));
    assertThat(r.code()).as(r.out()).isZero();
    r = c.kubectl("wait", "--for=condition=Established", "--timeout=30s", "crd/scalers.example.com");
    assertThat(r.code()).as(r.out()).isZero();

    r = c.apply("good", scaler("good", 1, 3, 2));
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("scaler.example.com/good created");

    r = c.apply("bad", scaler("bad", 5, 3, 1));
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("Scaler \"bad\" is invalid: spec: Invalid value: \"object\": "
        + "minReplicas must not exceed maxReplicas");
    assertThat(c.kubectl("get", "scaler", "bad").out()).contains("NotFound");

    // the transition rule: never checked on create, holds on every update
    r = c.apply("good", scaler("good", 1, 3, 1));
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("Scaler \"good\" is invalid: spec.generation: Invalid value: \"integer\": "
        + "generation may not go down");
    r = c.kubectl("patch", "scaler", "good", "--type=merge", "-p", "{\"spec\":{\"generation\":7}}");
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(c.kubectl("get", "scaler", "good", "-o", "jsonpath={.spec.generation}").out()).isEqualTo("7");
  }
}
