package io.keelson.controller.gc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnerGraphTest {

  static OwnerReference ref(String uid, boolean block) {
    return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet").withName("rs-" + uid).withUid(uid)
        .withController(true).withBlockOwnerDeletion(block).build();
  }

  static OwnerGraph.Node node(String uid, String kind, List<OwnerReference> owners) {
    return new OwnerGraph.Node(uid, "v1", kind, "default", kind.toLowerCase() + "-" + uid, owners, false, List.of(), "1");
  }

  @Test
  void dependentsAreFoundByOwnerUidEvenBeforeTheOwnerIsSeen() {
    OwnerGraph g = new OwnerGraph();
    g.upsert(node("p1", "Pod", List.of(ref("rs1", true))));
    g.upsert(node("p2", "Pod", List.of(ref("rs1", false))));
    g.upsert(node("p3", "Pod", List.of(ref("rs2", true))));
    assertThat(g.get("rs1")).isNull();
    assertThat(g.dependentsOf("rs1")).extracting(OwnerGraph.Node::uid).containsExactlyInAnyOrder("p1", "p2");
    assertThat(g.blockingDependentsOf("rs1")).extracting(OwnerGraph.Node::uid).containsExactly("p1");
  }

  @Test
  void changingOrRemovingOwnerReferencesUpdatesTheEdges() {
    OwnerGraph g = new OwnerGraph();
    g.upsert(node("rs1", "ReplicaSet", List.of()));
    g.upsert(node("p1", "Pod", List.of(ref("rs1", true))));
    g.upsert(node("p1", "Pod", List.of())); // orphaned
    assertThat(g.dependentsOf("rs1")).isEmpty();
    g.upsert(node("p1", "Pod", List.of(ref("rs2", true)))); // adopted elsewhere
    assertThat(g.dependentsOf("rs2")).hasSize(1);
    g.remove("p1");
    assertThat(g.dependentsOf("rs2")).isEmpty();
    assertThat(g.size()).isEqualTo(1);
  }

  @Test
  void removingAnOwnerLeavesItsDependentsPointingAtItsUid() {
    OwnerGraph g = new OwnerGraph();
    g.upsert(node("d1", "Deployment", List.of()));
    g.upsert(node("rs1", "ReplicaSet", List.of(ref("d1", true))));
    g.remove("d1");
    assertThat(g.get("d1")).isNull();
    assertThat(g.dependentsOf("d1")).extracting(OwnerGraph.Node::uid).containsExactly("rs1");
  }

  @Test
  void findsTheObjectsOwnedByAKindOfAnyVersionOfItsGroup() {
    OwnerGraph g = new OwnerGraph();
    OwnerReference backupV1 = new OwnerReferenceBuilder().withApiVersion("demo.keelson.io/v1").withKind("Backup")
        .withName("nightly").withUid("b1").build();
    OwnerReference backupBeta = new OwnerReferenceBuilder(backupV1).withApiVersion("demo.keelson.io/v1beta1").withUid("b2").build();
    OwnerReference elsewhere = new OwnerReferenceBuilder(backupV1).withApiVersion("other.io/v1").withUid("b3").build();
    g.upsert(node("c1", "ConfigMap", List.of(backupV1)));
    g.upsert(node("c2", "ConfigMap", List.of(backupBeta)));
    g.upsert(node("c3", "ConfigMap", List.of(elsewhere)));
    g.upsert(node("p1", "Pod", List.of(ref("rs1", true))));
    assertThat(g.ownedByKind("demo.keelson.io", "Backup")).extracting(OwnerGraph.Node::uid).containsExactlyInAnyOrder("c1", "c2");
  }
}
