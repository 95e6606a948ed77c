package io.keelson.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.cli.cluster.Cluster;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** keelctl rollout status says what kubectl says, for Deployments and DaemonSets alike. */
class RolloutProgressTest {
  private static JsonNode json(String s) {
    return Cluster.JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void aDaemonSetIsDoneWhenEveryNodeRunsAnUpdatedAvailablePod() {
    RolloutCommand.Progress unseen = RolloutCommand.Progress.ofDaemonSet(json("{'metadata':{'generation':2},'status':{'observedGeneration':1}}"));
    assertThat(unseen.done()).isFalse();
    assertThat(unseen.message("agent")).isEqualTo("Waiting for daemon set spec update to be observed...");
    RolloutCommand.Progress updating = RolloutCommand.Progress.ofDaemonSet(json("{'metadata':{'generation':2},'status':{'observedGeneration':2,"
        + "'desiredNumberScheduled':3,'updatedNumberScheduled':1,'numberAvailable':3}}"));
    assertThat(updating.done()).isFalse();
    assertThat(updating.message("agent")).isEqualTo("Waiting for daemon set \"agent\" rollout to finish: 1 out of 3 new pods have been updated...");
    RolloutCommand.Progress starting = RolloutCommand.Progress.ofDaemonSet(json("{'metadata':{'generation':2},'status':{'observedGeneration':2,"
        + "'desiredNumberScheduled':3,'updatedNumberScheduled':3,'numberAvailable':2}}"));
    assertThat(starting.done()).isFalse();
    assertThat(starting.message("agent")).isEqualTo("Waiting for daemon set \"agent\" rollout to finish: 2 of 3 updated pods are available...");
    assertThat(RolloutCommand.Progress.ofDaemonSet(json("{'metadata':{'generation':2},'status':{'observedGeneration':2,"
        + "'desiredNumberScheduled':3,'updatedNumberScheduled':3,'numberAvailable':3}}")).done()).isTrue();
  }

  @Test
  void aDeploymentWaitsForOldReplicasToGo() {
    RolloutCommand.Progress p = RolloutCommand.Progress.of(json("{'metadata':{'generation':1},'spec':{'replicas':2},"
        + "'status':{'observedGeneration':1,'updatedReplicas':2,'replicas':3,'availableReplicas':2}}"));
    assertThat(p.done()).isFalse();
    assertThat(p.message("web")).isEqualTo("Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...");
  }

  @Test
  void aRevisionsTemplateIsWhatItsPatchRestores() {
    JsonNode revision = json("{'revision':3,'data':{'spec':{'template':{'$patch':'replace','metadata':{'labels':{'app':'a'}}}}}}");
    assertThat(RolloutCommand.revision(revision)).isEqualTo(3);
    assertThat(RolloutCommand.templateOf(revision).toString()).isEqualTo("{\"metadata\":{\"labels\":{\"app\":\"a\"}}}");
    JsonNode rs = json("{'metadata':{'annotations':{'deployment.kubernetes.io/revision':'4'}},'spec':{'template':{'spec':{}}}}");
    assertThat(RolloutCommand.revision(rs)).isEqualTo(4);
    assertThat(RolloutCommand.withoutEmpties(json("{'metadata':{'creationTimestamp':null,'labels':{'app':'a'}},'spec':{'containers':"
        + "[{'name':'c','resources':{}}],'volumes':[]}}"))).isEqualTo(json("{'metadata':{'labels':{'app':'a'}},'spec':{'containers':[{'name':'c'}]}}"));
  }
}
