package io.keelson.apiserver.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The LimitRanger's defaults and its min / max / ratio checks, worded as kube's. */
class LimitRangerTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static List<String> check(String item, String kind, String requests, String limits) {
    List<String> errors = new ArrayList<>();
    LimitRanger.check(json(item), kind, json(requests), json(limits), errors);
    return errors;
  }

  @Test
  void defaultsFillOnlyWhatAContainerLeavesOpen() {
    ObjectNode pod = json("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},"
        + "{'name':'b','resources':{'limits':{'cpu':'1'},'requests':{'cpu':'1'}}}]}}");
    LimitRanger.applyDefaults(pod, List.of(json("{'type':'Container','default':{'cpu':'200m','memory':'64Mi'},"
        + "'defaultRequest':{'cpu':'100m','memory':'32Mi'}}"), json("{'type':'Pod','max':{'cpu':'4'}}")));
    JsonNode a = pod.path("spec").path("containers").get(0).path("resources");
    JsonNode b = pod.path("spec").path("containers").get(1).path("resources");
    assertThat(a.toString()).isEqualTo("{\"requests\":{\"cpu\":\"100m\",\"memory\":\"32Mi\"},\"limits\":{\"cpu\":\"200m\",\"memory\":\"64Mi\"}}");
    assertThat(b.toString()).isEqualTo("{\"limits\":{\"cpu\":\"1\",\"memory\":\"64Mi\"},\"requests\":{\"cpu\":\"1\",\"memory\":\"32Mi\"}}");
    assertThat(pod.path("metadata").path("annotations").path(LimitRanger.ANNOTATION).asString()).isEqualTo(
        "LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; "
            + "memory request for container b; memory limit for container b");
  }

  @Test
  void minMaxAndRatioAreKubesMessages() {
    assertThat(check("{'max':{'cpu':'500m'}}", "Container", "{'cpu':'100m'}", "{'cpu':'1'}"))
        .containsExactly("maximum cpu usage per Container is 500m, but limit is 1");
    assertThat(check("{'max':{'memory':'1Gi'}}", "Pod", "{}", "{}"))
        .containsExactly("maximum memory usage per Pod is 1Gi.  No limit is specified");
    assertThat(check("{'min':{'cpu':'200m'}}", "Container", "{'cpu':'100m'}", "{}"))
        .containsExactly("minimum cpu usage per Container is 200m, but request is 100m");
    assertThat(check("{'min':{'cpu':'200m'}}", "Container", "{}", "{}"))
        .containsExactly("minimum cpu usage per Container is 200m.  No request is specified");
    assertThat(check("{'maxLimitRequestRatio':{'cpu':'2'}}", "Container", "{'cpu':'100m'}", "{'cpu':'500m'}"))
        .containsExactly("cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000");
    assertThat(check("{'min':{'cpu':'100m'},'max':{'cpu':'1'},'maxLimitRequestRatio':{'cpu':'4'}}", "Container",
        "{'cpu':'250m'}", "{'cpu':'1'}")).isEmpty();
  }

  @Test
  void aClaimsStorageRequestIsBoundedByTheClaimLimits() {
    List<JsonNode> items = List.of(json("{'type':'PersistentVolumeClaim','min':{'storage':'1Gi'},'max':{'storage':'2Gi'}}"),
        json("{'type':'Container','max':{'cpu':'1'}}"));
    assertThat(LimitRanger.claimErrors(items, claim("5Gi")))
        .containsExactly("maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi");
    assertThat(LimitRanger.claimErrors(items, claim("500Mi")))
        .containsExactly("minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi");
    assertThat(LimitRanger.claimErrors(items, claim("1536Mi"))).isEmpty();
  }

  static JsonNode claim(String storage) {
    return json("{'spec':{'resources':{'requests':{'storage':'" + storage + "'}}}}");
  }
}
