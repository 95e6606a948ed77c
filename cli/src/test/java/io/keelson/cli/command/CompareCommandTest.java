package io.keelson.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CompareCommandTest {
  @Test
  void memoryUsedInsideComesFromTheCgroupForContainersAndFromTheGuestForVms() {
    CompareCommand.Side container = new CompareCommand.Side("CONTAINER (runc)", "runc");
    CompareCommand.Side vm = new CompareCommand.Side("VM (vm)", "vm");
    String[] containerLine = "3384968 8388608".split(" ");
    String[] vmLine = "20480 -".split(" ");
    assertThat(CompareCommand.usedInside(container, containerLine)).isEqualTo("8Mi (cgroup)");
    assertThat(CompareCommand.usedInside(vm, vmLine)).isEqualTo("20Mi (guest)");
    assertThat(CompareCommand.usedInside(container, "3384968 -".split(" "))).isNull();
  }
}
