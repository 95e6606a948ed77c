package io.keelson.agent.pod;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.keelson.agent.driver.TaskConfig.TaskImage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskConfigFactoryTest {
  static final ImageProvider.ResolvedImage IMAGE = new ImageProvider.ResolvedImage(
      new TaskImage("busybox", "sha256:x", List.of(), null), List.of("/entry"), List.of("default-arg"), List.of("A=1"), "/work", "1000:1000");

  @Test
  void commandAndArgsFollowKubernetesRules() {
    Map<String, String> env = Map.of("WHO", "world");
    assertThat(TaskConfigFactory.command(new Container(), IMAGE, env)).containsExactly("/entry", "default-arg");
    assertThat(TaskConfigFactory.command(new ContainerBuilder().withArgs("x").build(), IMAGE, env)).containsExactly("/entry", "x");
    assertThat(TaskConfigFactory.command(new ContainerBuilder().withCommand("sh").build(), IMAGE, env)).containsExactly("sh");
    assertThat(TaskConfigFactory.command(new ContainerBuilder().withCommand("echo").withArgs("hi $(WHO)", "$$(WHO)", "$(NOPE)").build(), IMAGE, env))
        .containsExactly("echo", "hi world", "$(WHO)", "$(NOPE)");
  }

  @Test
  void userComesFromSecurityContextThenImage() {
    var pod = new PodBuilder().withNewSpec().endSpec().build();
    assertThat(TaskConfigFactory.user(pod, new Container(), "1000:1000").uid()).isEqualTo(1000);
    var c = new ContainerBuilder().withNewSecurityContext().withRunAsUser(42L).endSecurityContext().build();
    assertThat(TaskConfigFactory.user(pod, c, "1000:1000").uid()).isEqualTo(42);
    assertThat(TaskConfigFactory.user(pod, new Container(), "").uid()).isZero();
  }

  @Test
  void resourcesInMillicoresAndBytes() {
    var c = new ContainerBuilder().withNewResources()
        .addToLimits("cpu", new Quantity("500m")).addToLimits("memory", new Quantity("64Mi"))
        .addToRequests("cpu", new Quantity("0.1")).endResources().build();
    var r = TaskConfigFactory.resources(c);
    assertThat(r.cpuLimitMillis()).isEqualTo(500);
    assertThat(r.cpuRequestMillis()).isEqualTo(100);
    assertThat(r.memoryLimitBytes()).isEqualTo(64L << 20);
  }
}
