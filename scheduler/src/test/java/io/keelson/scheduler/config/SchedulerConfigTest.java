package io.keelson.scheduler.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.scheduler.framework.Framework.PluginSpec;
import org.junit.jupiter.api.Test;

class SchedulerConfigTest {
  @Test
  void defaultsWhenEmpty() {
    SchedulerConfig c = SchedulerConfig.parse("{}");
    assertThat(c.schedulerName()).isEqualTo("default-scheduler");
    assertThat(c.plugins()).contains(new PluginSpec("TaintToleration", 3), new PluginSpec("InterPodAffinity", 2));
  }

  @Test
  void disableAndReweight() {
    SchedulerConfig c =
        SchedulerConfig.parse(
            """
            percentageOfNodesToScore: 20
            bindParallelism: 32
            plugins:
              disabled: [NodeResourcesBalancedAllocation, InterPodAffinity]
              weights: {NodeAffinity: 7}
            """);
    assertThat(c.percentageOfNodesToScore()).isEqualTo(20);
    assertThat(c.bindParallelism()).isEqualTo(32);
    assertThat(c.plugins()).extracting(PluginSpec::name).doesNotContain("NodeResourcesBalancedAllocation", "InterPodAffinity");
    assertThat(c.plugins()).contains(new PluginSpec("NodeAffinity", 7));
  }

  @Test
  void disableAllThenEnableAFew() {
    SchedulerConfig c =
        SchedulerConfig.parse(
            """
            plugins:
              disabled: ["*"]
              enabled: [NodeResourcesFit, DefaultBinder]
            """);
    assertThat(c.plugins()).extracting(PluginSpec::name).containsExactly("NodeResourcesFit", "DefaultBinder");
  }

  @Test
  void rejectsUnknownPluginsAndFields() {
    assertThatThrownBy(() -> SchedulerConfig.parse("plugins: {disabled: [Nope]}"))
        .hasMessageContaining("unknown scheduler plugin \"Nope\"");
    assertThatThrownBy(() -> SchedulerConfig.parse("percentOfNodes: 3")).hasMessageContaining("unknown scheduler config field");
    assertThatThrownBy(() -> SchedulerConfig.parse("percentageOfNodesToScore: 300")).hasMessageContaining("0..100");
  }
}
