package io.keelson.client.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Selector strings as a scale subresource prints them, parsed and evaluated as kube's labels.Parse does. */
class LabelSelectorsTest {

  private static boolean selects(String selector, Map<String, String> labels) {
    return LabelSelectors.matches(LabelSelectors.parse(selector), labels);
  }

  @Test
  void equalitySetAndExistenceRequirementsAllHaveToHold() {
    String s = "app=web,tier in (a, b),!canary,track, env!=prod";
    assertThat(selects(s, Map.of("app", "web", "tier", "b", "track", "x", "env", "dev"))).isTrue();
    assertThat(selects(s, Map.of("app", "web", "tier", "b", "track", "x"))).as("env absent is != prod").isTrue();
    assertThat(selects(s, Map.of("app", "web", "tier", "c", "track", "x"))).isFalse();
    assertThat(selects(s, Map.of("app", "web", "tier", "a", "track", "x", "canary", "1"))).isFalse();
    assertThat(selects(s, Map.of("app", "web", "tier", "a"))).as("track must exist").isFalse();
    assertThat(selects(s, Map.of("app", "web", "tier", "a", "track", "x", "env", "prod"))).isFalse();
    assertThat(selects("app==web,x notin (1,2)", Map.of("app", "web", "x", "3"))).isTrue();
    assertThat(selects("app==web,x notin (1,2)", Map.of("app", "web", "x", "2"))).isFalse();
  }

  @Test
  void somethingThatIsNotASelectorIsRefused() {
    assertThatThrownBy(() -> LabelSelectors.parse("app in web")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unable to parse requirement: app in web");
  }

  @Test
  void anEmptySelectorSelectsNothingForControllersAndEverythingAsAMetav1Selector() {
    LabelSelector empty = new LabelSelector();
    assertThat(LabelSelectors.matches(empty, Map.of("app", "web"))).isFalse();
    assertThat(LabelSelectors.selects(empty, Map.of("app", "web"))).isTrue();
    assertThat(LabelSelectors.matches(null, Map.of())).isFalse();
    assertThat(LabelSelectors.selects(null, Map.of())).isFalse();
    LabelSelector web = new LabelSelector(null, Map.of("app", "web"));
    assertThat(LabelSelectors.selects(web, Map.of("app", "web"))).isTrue();
    assertThat(LabelSelectors.selects(web, null)).isFalse();
  }
}
