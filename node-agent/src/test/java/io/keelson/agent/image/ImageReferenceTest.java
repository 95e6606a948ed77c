package io.keelson.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {

  @Test
  void normalisesDockerHubNames() {
    assertThat(ImageReference.parse("busybox").toString()).isEqualTo("docker.io/library/busybox:latest");
    assertThat(ImageReference.parse("nginx:1.27").toString()).isEqualTo("docker.io/library/nginx:1.27");
    assertThat(ImageReference.parse("bitnami/redis").repository()).isEqualTo("bitnami/redis");
    assertThat(ImageReference.parse("index.docker.io/library/busybox:1").registry()).isEqualTo("docker.io");
  }

  @Test
  void firstComponentWithDotOrPortIsTheRegistry() {
    ImageReference r = ImageReference.parse("127.0.0.1:5000/team/app:v2");
    assertThat(r.registry()).isEqualTo("127.0.0.1:5000");
    assertThat(r.repository()).isEqualTo("team/app");
    assertThat(r.tag()).isEqualTo("v2");
    assertThat(ImageReference.parse("localhost/app").registry()).isEqualTo("localhost");
    assertThat(ImageReference.parse("keelson.local/busybox:latest").isLocal()).isTrue();
  }

  @Test
  void digestsPinTheManifest() {
    String d = "sha256:" + "a".repeat(64);
    ImageReference r = ImageReference.parse("quay.io/x/y@" + d);
    assertThat(r.tag()).isNull();
    assertThat(r.manifestReference()).isEqualTo(d);
    assertThat(r.toString()).isEqualTo("quay.io/x/y@" + d);
  }

  @Test
  void rejectsInvalidNames() {
    assertThatThrownBy(() -> ImageReference.parse("Busybox")).hasMessageContaining("lowercase");
    assertThatThrownBy(() -> ImageReference.parse("busybox@sha256:zz")).hasMessageContaining("invalid digest");
    assertThatThrownBy(() -> ImageReference.parse("")).hasMessageContaining("empty");
  }

  @Test
  void defaultPullPolicyFollowsKubernetes() {
    assertThat(PullPolicy.of(null, "busybox")).isEqualTo(PullPolicy.ALWAYS);
    assertThat(PullPolicy.of("", "busybox:latest")).isEqualTo(PullPolicy.ALWAYS);
    assertThat(PullPolicy.of(null, "busybox:1")).isEqualTo(PullPolicy.IF_NOT_PRESENT);
    assertThat(PullPolicy.of("Never", "busybox")).isEqualTo(PullPolicy.NEVER);
  }
}
