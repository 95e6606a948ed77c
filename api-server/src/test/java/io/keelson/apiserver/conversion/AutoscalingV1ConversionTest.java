package io.keelson.apiserver.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.status.StatusException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** autoscaling/v1 HorizontalPodAutoscalers over the stored autoscaling/v2 objects. */
class AutoscalingV1ConversionTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final AutoscalingV1Conversion conversion = new AutoscalingV1Conversion();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void cpuTargetIsTheCpuUtilizationMetric() {
    ObjectNode v1 = json("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'web'},"
        + "'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'minReplicas':1,'maxReplicas':5,"
        + "'targetCPUUtilizationPercentage':50},'status':{'currentReplicas':2,'desiredReplicas':3,'currentCPUUtilizationPercentage':70}}");
    ObjectNode v2 = conversion.toStorage(v1);
    assertThat(v2.get("apiVersion").asString()).isEqualTo("autoscaling/v2");
    assertThat(v2.at("/spec/metrics/0")).isEqualTo(json(
        "{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}}"));
    assertThat(v2.at("/spec/metrics").size()).isEqualTo(1);
    assertThat(v2.at("/status/currentMetrics/0/resource/current/averageUtilization").intValue()).isEqualTo(70);
    assertThat(v2.at("/spec").has("targetCPUUtilizationPercentage")).isFalse();
    assertThat(conversion.toServed(v2)).isEqualTo(v1);
  }

  @Test
  void whatV1CannotSayRidesInAnnotationsAndComesBack() {
    ObjectNode v2 = json("{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler','metadata':{'name':'web'},"
        + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},'minReplicas':1,'maxReplicas':5,'metrics':["
        + "{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}},"
        + "{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}}],"
        + "'behavior':{'scaleDown':{'stabilizationWindowSeconds':30}}},"
        + "'status':{'currentReplicas':1,'desiredReplicas':1,'conditions':[{'type':'AbleToScale','status':'True'}]}}");
    ObjectNode v1 = conversion.toServed(v2);
    assertThat(v1.at("/spec/targetCPUUtilizationPercentage").intValue()).isEqualTo(50);
    assertThat(v1.at("/metadata/annotations").has(AutoscalingV1Conversion.METRICS)).isTrue();
    assertThat(v1.at("/metadata/annotations").has(AutoscalingV1Conversion.BEHAVIOR)).isTrue();
    assertThat(v1.at("/metadata/annotations").has(AutoscalingV1Conversion.CONDITIONS)).isTrue();
    assertThat(conversion.toStorage(v1)).isEqualTo(v2);
  }

  @Test
  void v1RejectsATargetBelowOnePercent() {
    var type = ResourceRegistry.find("autoscaling", "v1", "horizontalpodautoscalers").orElseThrow();
    assertThatThrownBy(() -> conversion.validateCreate(type, json("{'metadata':{'name':'web'},'spec':{'targetCPUUtilizationPercentage':0}}")))
        .isInstanceOf(StatusException.class).hasMessageContaining("spec.targetCPUUtilizationPercentage: Invalid value: 0: must be greater than 0");
    assertThat(ResourceRegistry.viewOf(type).storage().version()).isEqualTo("v2");
  }
}
