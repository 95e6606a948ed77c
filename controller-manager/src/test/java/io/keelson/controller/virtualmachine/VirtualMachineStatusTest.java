package io.keelson.controller.virtualmachine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a VirtualMachine's status says for each state of its pod. */
class VirtualMachineStatusTest {

  static PodBuilder pod() {
    return new PodBuilder().withNewMetadata().withName("virt-launcher-dos").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName("node-1").endSpec();
  }

  @Test
  void noPodIsStartingWhenRunningAndStoppedWhenNot() {
    assertThat(VirtualMachineController.observe(true, null)).containsEntry("printableStatus", "Starting").containsEntry("ready", false);
    assertThat(VirtualMachineController.observe(false, null)).containsEntry("printableStatus", "Stopped").doesNotContainKey("podName");
  }

  @Test
  void aRunningReadyPodIsARunningReadyVmWithItsNodeAndIp() {
    Pod p = pod().withNewStatus().withPhase("Running").withPodIP("10.244.0.7")
        .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime("2026-01-01T00:00:00Z").endCondition()
        .addNewContainerStatus().withName("compute").withNewState().withNewRunning().endRunning().endState().endContainerStatus()
        .endStatus().build();
    Map<String, Object> s = VirtualMachineController.observe(true, p);
    assertThat(s).containsEntry("printableStatus", "Running").containsEntry("ready", true).containsEntry("nodeName", "node-1")
        .containsEntry("ipAddress", "10.244.0.7").containsEntry("podName", "virt-launcher-dos");
    assertThat((List<?>) s.get("conditions")).singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("type", "Ready").containsEntry("status", "True").containsEntry("reason", "PodReady");
  }

  @Test
  void aPullErrorIsShownWithItsMessage() {
    Pod p = pod().withNewStatus().withPhase("Pending")
        .addNewCondition().withType("Ready").withStatus("False").endCondition()
        .addNewContainerStatus().withName("compute").withNewState().withNewWaiting().withReason("ErrImagePull")
            .withMessage("manifest unknown").endWaiting().endState().endContainerStatus()
        .endStatus().build();
    Map<String, Object> s = VirtualMachineController.observe(true, p);
    assertThat(s).containsEntry("printableStatus", "ErrImagePull").containsEntry("ready", false);
    assertThat(s.get("conditions").toString()).contains("manifest unknown");
  }

  @Test
  void anUnschedulablePodIsAnUnschedulableVm() {
    Pod p = new PodBuilder().withNewMetadata().withName("virt-launcher-dos").endMetadata().withNewSpec().endSpec()
        .withNewStatus().withPhase("Pending").addNewCondition().withType("PodScheduled").withStatus("False")
        .withReason("Unschedulable").endCondition().endStatus().build();
    assertThat(VirtualMachineController.observe(true, p)).containsEntry("printableStatus", "Unschedulable").doesNotContainKey("nodeName");
  }

  @Test
  void aPodOfAStoppedVmIsStopping() {
    Pod p = pod().withNewStatus().withPhase("Running").endStatus().build();
    assertThat(VirtualMachineController.observe(false, p)).containsEntry("printableStatus", "Stopping");
  }
}
