package io.keelson.controller.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RevisionsTest {

  @Test
  void anOldReplicaSetMadeNewAgainByUndoGetsTheNextRevisionAndRemembersItsOldOne() {
    Deployment d = RolloutMathTest.rolling(3, "1", "0");
    d.getMetadata().setAnnotations(new HashMap<>(Map.of("team", "a", Revisions.LAST_APPLIED, "{}")));
    ReplicaSet rs = RolloutMathTest.rs("web-1", 0, null);
    rs.getMetadata().setAnnotations(new HashMap<>(Map.of(Revisions.REVISION, "1")));

    assertThat(Revisions.setNewReplicaSetAnnotations(d, rs, 3, true)).isTrue();
    assertThat(rs.getMetadata().getAnnotations())
        .containsEntry(Revisions.REVISION, "3")
        .containsEntry(Revisions.REVISION_HISTORY, "1")
        .containsEntry("team", "a")
        .doesNotContainKey(Revisions.LAST_APPLIED);
    assertThat(Revisions.setNewReplicaSetAnnotations(d, rs, 3, true)).as("idempotent").isFalse();
  }

  @Test
  void aNewReplicaSetRecordsDesiredAndMaxReplicas() {
    Deployment d = RolloutMathTest.rolling(10, "25%", "25%");
    ReplicaSet rs = RolloutMathTest.rs("web-2", 0, null);
    Revisions.setNewReplicaSetAnnotations(d, rs, 1, false);
    assertThat(rs.getMetadata().getAnnotations())
        .containsEntry(Revisions.REVISION, "1")
        .containsEntry(Revisions.DESIRED_REPLICAS, "10")
        .containsEntry(Revisions.MAX_REPLICAS, "13");
  }
}
