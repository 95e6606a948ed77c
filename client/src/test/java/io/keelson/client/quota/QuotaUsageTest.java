package io.keelson.client.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What objects charge a quota, which quotas take them in, and the quantities' canonical text. */
class QuotaUsageTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");

  static JsonNode json(String s) {
    return JSON.readTree(s.replace('\'', '"'));
  }

  static Map<String, String> printed(Map<String, BigDecimal> usage) {
    Map<String, String> out = new java.util.TreeMap<>();
    usage.forEach((k, v) -> out.put(k, QuotaQuantities.format(k, v)));
    return out;
  }

  @Test
  void aPodChargesItsContainersOrItsLargestInitContainerPlusOverhead() {
    JsonNode pod = json("{'spec':{'containers':["
        + "{'name':'a','resources':{'requests':{'cpu':'250m','memory':'64Mi'},'limits':{'cpu':'500m','memory':'128Mi'}}},"
        + "{'name':'b','resources':{'requests':{'cpu':'250m','memory':'64Mi'}}}],"
        + "'initContainers':[{'name':'i','resources':{'requests':{'cpu':'1','memory':'32Mi'}}}],"
        + "'overhead':{'cpu':'100m'}},'status':{'phase':'Running'}}");
    assertThat(printed(QuotaUsage.of("", "pods", pod, NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
        "count/pods", "1", "pods", "1",
        "requests.cpu", "1100m", "cpu", "1100m", // the init container's 1 beats the containers' 500m
        "requests.memory", "128Mi", "memory", "128Mi",
        "limits.cpu", "600m", "limits.memory", "128Mi"));
  }

  @Test
  void endedPodsAndPodsPastTheirDeletionGraceOnlyCountAsObjects() {
    assertThat(QuotaUsage.of("", "pods", json("{'spec':{},'status':{'phase':'Succeeded'}}"), NOW)).containsOnlyKeys("count/pods");
    JsonNode stuck = json("{'metadata':{'deletionTimestamp':'2026-01-01T00:00:00Z','deletionGracePeriodSeconds':30},'spec':{}}");
    assertThat(QuotaUsage.of("", "pods", stuck, NOW)).containsOnlyKeys("count/pods");
    JsonNode terminating = json("{'metadata':{'deletionTimestamp':'2026-01-01T00:09:50Z','deletionGracePeriodSeconds':30},'spec':{}}");
    assertThat(QuotaUsage.of("", "pods", terminating, NOW)).containsKeys("pods");
  }

  @Test
  void servicesChargeNodePortsAndLoadBalancersAndOtherKindsTheirCount() {
    JsonNode lb = json("{'spec':{'type':'LoadBalancer','ports':[{'port':80},{'port':443}]}}");
    assertThat(printed(QuotaUsage.of("", "services", lb, NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
        "count/services", "1", "services", "1", "services.loadbalancers", "1", "services.nodeports", "2"));
    assertThat(printed(QuotaUsage.of("apps", "deployments", json("{}"), NOW))).containsExactlyEntriesOf(Map.of("count/deployments.apps", "1"));
    assertThat(printed(QuotaUsage.of("", "configmaps", json("{}"), NOW)))
        .containsExactlyInAnyOrderEntriesOf(Map.of("count/configmaps", "1", "configmaps", "1"));
  }

  @Test
  void anUpdateChargesWhatItAddsAndNeverAGivenBackAmount() {
    JsonNode clusterIp = json("{'spec':{'type':'ClusterIP','ports':[{'port':80},{'port':443}]}}");
    JsonNode nodePort = json("{'spec':{'type':'NodePort','ports':[{'port':80},{'port':443}]}}");
    JsonNode lb = json("{'spec':{'type':'LoadBalancer','allocateLoadBalancerNodePorts':false,'ports':[{'port':80}]}}");
    assertThat(printed(QuotaUsage.growth("", "services", clusterIp, nodePort, NOW)))
        .containsExactlyEntriesOf(Map.of("services.nodeports", "2")); // the object counts stay as they were
    assertThat(printed(QuotaUsage.growth("", "services", nodePort, lb, NOW)))
        .containsExactlyEntriesOf(Map.of("services.loadbalancers", "1")); // two node ports fewer: not refunded here
    assertThat(QuotaUsage.growth("", "services", nodePort, clusterIp, NOW)).isEmpty();

    JsonNode small = json("{'spec':{'storageClassName':'fast','resources':{'requests':{'storage':'1Gi'}}}}");
    JsonNode grown = json("{'spec':{'storageClassName':'fast','resources':{'requests':{'storage':'3Gi'}}}}");
    assertThat(printed(QuotaUsage.growth("", "persistentvolumeclaims", small, grown, NOW))).containsExactlyInAnyOrderEntriesOf(Map.of(
        "requests.storage", "2Gi", "fast.storageclass.storage.k8s.io/requests.storage", "2Gi"));
  }

  @Test
  void onlyServicesAndClaimsAreChargedOnUpdateAsInKube132() {
    assertThat(QuotaUsage.chargesUpdates("", "services")).isTrue();
    assertThat(QuotaUsage.chargesUpdates("", "persistentvolumeclaims")).isTrue();
    assertThat(QuotaUsage.chargesUpdates("", "pods")).as("in-place resize is off at 1.32").isFalse();
    assertThat(QuotaUsage.chargesUpdates("", "configmaps")).isFalse();
    assertThat(QuotaUsage.chargesUpdates("apps", "deployments")).isFalse();
  }

  @Test
  void scopesTakeInPodsByDeadlineQosAndPriorityClassAndNoOtherKind() {
    JsonNode bestEffort = json("{'spec':{'containers':[{'name':'c'}],'priorityClassName':'high'}}");
    JsonNode burstable = json("{'spec':{'activeDeadlineSeconds':60,'containers':[{'name':'c','resources':{'requests':{'cpu':'1'}}}]}}");
    JsonNode onBestEffort = json("{'spec':{'scopes':['BestEffort']}}");
    JsonNode onTerminating = json("{'spec':{'scopes':['Terminating','NotBestEffort']}}");
    JsonNode onHigh = json("{'spec':{'scopeSelector':{'matchExpressions':[{'scopeName':'PriorityClass','operator':'In','values':['high']}]}}}");
    assertThat(QuotaUsage.inScope(onBestEffort, "", "pods", bestEffort)).isTrue();
    assertThat(QuotaUsage.inScope(onBestEffort, "", "pods", burstable)).isFalse();
    assertThat(QuotaUsage.inScope(onTerminating, "", "pods", burstable)).isTrue();
    assertThat(QuotaUsage.inScope(onTerminating, "", "pods", bestEffort)).isFalse();
    assertThat(QuotaUsage.inScope(onHigh, "", "pods", bestEffort)).isTrue();
    assertThat(QuotaUsage.inScope(onHigh, "", "pods", burstable)).isFalse();
    assertThat(QuotaUsage.inScope(onBestEffort, "", "configmaps", json("{}"))).isFalse();
    assertThat(QuotaUsage.inScope(json("{'spec':{}}"), "", "configmaps", json("{}"))).isTrue();
  }

  @Test
  void aQuotaOnCpuOrMemoryNamesTheContainersThatDoNotStateThem() {
    JsonNode pod = json("{'spec':{'containers':[{'name':'a','resources':{'requests':{'cpu':'1'}}},{'name':'b'}]}}");
    assertThat(QuotaUsage.missing(List.of("pods", "requests.cpu", "limits.memory"), pod))
        .isEqualTo("limits.memory for: a,b; requests.cpu for: b");
    assertThat(QuotaUsage.missing(List.of("pods", "requests.cpu"), json("{'spec':{'containers':[{'name':'a','resources':{'requests':{'cpu':'1'}}}]}}")))
        .isNull();
    assertThat(QuotaUsage.tracks("", "pods", "requests.cpu")).isTrue();
    assertThat(QuotaUsage.tracks("", "pods", "requests.storage")).isFalse();
    assertThat(QuotaUsage.tracks("apps", "deployments", "count/deployments.apps")).isTrue();
    assertThat(QuotaUsage.countedKind("count/deployments.apps")).isEqualTo("apps/deployments");
    assertThat(QuotaUsage.countedKind("limits.memory")).isEqualTo("/pods");
    assertThat(QuotaUsage.countedKind("services.nodeports")).isEqualTo("/services");
    assertThat(QuotaUsage.countedKind("gold.storageclass.storage.k8s.io/requests.storage")).isEqualTo("/persistentvolumeclaims");
    assertThat(QuotaUsage.countedKind("secrets")).isEqualTo("/secrets");
  }

  @Test
  void quantitiesPrintInKubesCanonicalForm() {
    assertThat(QuotaQuantities.format("requests.cpu", new BigDecimal("1.5"))).isEqualTo("1500m");
    assertThat(QuotaQuantities.format("requests.cpu", new BigDecimal("2.000"))).isEqualTo("2");
    assertThat(QuotaQuantities.format("pods", new BigDecimal("2000"))).isEqualTo("2k");
    assertThat(QuotaQuantities.format("requests.memory", QuotaQuantities.value("1Gi").add(QuotaQuantities.value("512Mi"))))
        .isEqualTo("1536Mi");
    assertThat(QuotaQuantities.format("memory", new BigDecimal("1000000"))).isEqualTo("1M");
    assertThat(QuotaQuantities.format("memory", BigDecimal.ZERO)).isEqualTo("0");
    assertThat(QuotaQuantities.print(Map.of("requests.cpu", new BigDecimal("0.5"), "pods", BigDecimal.ONE))).isEqualTo("pods=1,requests.cpu=500m");
  }
}
