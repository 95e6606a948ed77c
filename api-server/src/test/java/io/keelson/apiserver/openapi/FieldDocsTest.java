package io.keelson.apiserver.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Generated descriptions read like English. */
class FieldDocsTest {

  @Test
  void camelCaseBecomesWords() {
    assertThat(FieldDocs.words("minReadySeconds")).isEqualTo("min ready seconds");
    assertThat(FieldDocs.words("podIPs")).isEqualTo("pod IPs");
    assertThat(FieldDocs.words("hostIP")).isEqualTo("host IP");
    assertThat(FieldDocs.words("DeploymentSpec")).isEqualTo("deployment spec");
    assertThat(FieldDocs.words("podCIDRs")).isEqualTo("pod CIDRs");
    assertThat(FieldDocs.words("HTTPGetAction")).isEqualTo("HTTP get action");
  }

  @Test
  void fallbackDescriptionsNameTheOwner() {
    assertThat(FieldDocs.field(io.fabric8.kubernetes.api.model.PodSpec.class, "hostnameOverride", String.class))
        .isEqualTo("Hostname override of this pod spec.");
    assertThat(FieldDocs.field(io.fabric8.kubernetes.api.model.Container.class, "tty", Boolean.class))
        .isEqualTo("Allocate a terminal for the container; needs stdin. Defaults to false.");
    assertThat(FieldDocs.field(io.fabric8.kubernetes.api.model.PodSpec.class, "hostUsers", Boolean.class))
        .isEqualTo("Host users setting (true or false) of this pod spec.");
  }
}
