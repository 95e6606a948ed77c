package io.keelson.controller.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import org.junit.jupiter.api.Test;

/** Objects are read without managedFields, and writing them back sends none (the stored ones stay). */
class LeanSerializationTest {

  private static final String RS = """
      {"apiVersion":"apps/v1","kind":"ReplicaSet",
       "metadata":{"name":"web-1","namespace":"default","resourceVersion":"42","labels":{"app":"web"},
         "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"u1","controller":true}],
         "managedFields":[{"manager":"controller-manager","operation":"Update","apiVersion":"apps/v1",
           "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
       "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
         "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
       "status":{"replicas":3,"readyReplicas":2}}
      """;

  @Test
  void readWithoutManagedFieldsAndWrittenBackWithoutThem() {
    var ser = LeanSerialization.create();
    ReplicaSet rs = ser.unmarshal(RS, ReplicaSet.class);
    assertThat(rs.getMetadata().getManagedFields()).isEmpty();
    assertThat(rs.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("web"));
    assertThat(rs.getSpec().getReplicas()).isEqualTo(3);
    assertThat(rs.getStatus().getReadyReplicas()).isEqualTo(2);
    // an update built from it must not carry "managedFields": [] (that would reset the server's)
    assertThat(ser.asJson(rs)).doesNotContain("managedFields").contains("\"resourceVersion\":\"42\"");
  }
}
