package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class DefaulterTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static ResourceType type(String apiVersion, String kind) {
    return ResourceRegistry.byKind(apiVersion, kind).orElseThrow();
  }

  static ObjectNode defaulted(String apiVersion, String kind, String body) {
    ObjectNode o = json(body);
    Defaulter.applyDefaults(type(apiVersion, kind), o);
    return o;
  }

  static final String POD = "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','namespace':'default'},'spec':{'containers':[{"
      + "'name':'c','image':'busybox','ports':[{'containerPort':80}],"
      + "'livenessProbe':{'httpGet':{'port':80}},'readinessProbe':{'exec':{'command':['true']},'periodSeconds':5},"
      + "'env':[{'name':'N','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}]}],"
      + "'volumes':[{'name':'cfg','configMap':{'name':'x'}},{'name':'scratch'}]}}";

  static Stream<Arguments> podDefaults() {
    return Stream.of(
        Arguments.of("/spec/restartPolicy", "'Always'"),
        Arguments.of("/spec/dnsPolicy", "'ClusterFirst'"),
        Arguments.of("/spec/schedulerName", "'default-scheduler'"),
        Arguments.of("/spec/terminationGracePeriodSeconds", "30"),
        Arguments.of("/spec/securityContext", "{}"),
        Arguments.of("/spec/enableServiceLinks", "true"),
        Arguments.of("/spec/preemptionPolicy", "'PreemptLowerPriority'"),
        Arguments.of("/spec/priority", "0"),
        Arguments.of("/spec/serviceAccountName", "'default'"),
        Arguments.of("/spec/serviceAccount", "'default'"),
        Arguments.of("/spec/containers/0/terminationMessagePath", "'/dev/termination-log'"),
        Arguments.of("/spec/containers/0/terminationMessagePolicy", "'File'"),
        Arguments.of("/spec/containers/0/imagePullPolicy", "'Always'"),
        Arguments.of("/spec/containers/0/resources", "{}"),
        Arguments.of("/spec/containers/0/ports/0", "{'containerPort':80,'protocol':'TCP'}"),
        Arguments.of("/spec/containers/0/livenessProbe",
            "{'httpGet':{'port':80,'path':'/','scheme':'HTTP'},'timeoutSeconds':1,'periodSeconds':10,'successThreshold':1,'failureThreshold':3}"),
        Arguments.of("/spec/containers/0/readinessProbe/periodSeconds", "5"),
        Arguments.of("/spec/containers/0/env/0/valueFrom/fieldRef", "{'fieldPath':'metadata.name','apiVersion':'v1'}"),
        Arguments.of("/spec/volumes/0/configMap/defaultMode", "420"),
        Arguments.of("/spec/volumes/1/emptyDir", "{}"),
        Arguments.of("/spec/tolerations", "[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute','tolerationSeconds':300},"
            + "{'key':'node.kubernetes.io/unreachable','operator':'Exists','effect':'NoExecute','tolerationSeconds':300}]"),
        Arguments.of("/status/phase", "'Pending'"),
        Arguments.of("/status/qosClass", "'BestEffort'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("podDefaults")
  void pod(String pointer, String expected) {
    assertThat(defaulted("v1", "Pod", POD).at(pointer)).isEqualTo(JSON.readTree(expected.replace('\'', '"')));
  }

  @ParameterizedTest
  @CsvSource({
      "busybox, Always", "busybox:latest, Always", "nginx:1.25, IfNotPresent", "localhost:5000/app, Always",
      "localhost:5000/app:v1, IfNotPresent", "keelson.local/busybox:latest, Always", "app@sha256:abc, IfNotPresent"})
  void imagePullPolicy(String image, String policy) {
    assertThat(Defaulter.pullPolicy(image)).isEqualTo(policy);
  }

  @Test
  void defaultsNeverOverwrite() {
    ObjectNode pod = defaulted("v1", "Pod", "{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'x','imagePullPolicy':'Never'}],"
        + "'tolerations':[{'key':'node.kubernetes.io/not-ready','operator':'Exists','effect':'NoExecute','tolerationSeconds':5}]}}");
    assertThat(pod.at("/spec/restartPolicy").stringValue()).isEqualTo("Never");
    assertThat(pod.at("/spec/containers/0/imagePullPolicy").stringValue()).isEqualTo("Never");
    assertThat(pod.at("/spec/tolerations")).hasSize(2);
    assertThat(pod.at("/spec/tolerations/0/tolerationSeconds").intValue()).isEqualTo(5);
  }

  @Test
  void limitsBecomeRequestsAndQos() {
    ObjectNode pod = defaulted("v1", "Pod", "{'spec':{'containers':[{'name':'c','image':'x','resources':{'limits':{'cpu':'1','memory':'1Gi'}}}]}}");
    assertThat(pod.at("/spec/containers/0/resources/requests")).isEqualTo(json("{'cpu':'1','memory':'1Gi'}"));
    assertThat(pod.at("/status/qosClass").stringValue()).isEqualTo("Guaranteed");
    ObjectNode burstable = defaulted("v1", "Pod", "{'spec':{'containers':[{'name':'c','image':'x','resources':{'requests':{'cpu':'1'}}}]}}");
    assertThat(burstable.at("/status/qosClass").stringValue()).isEqualTo("Burstable");
  }

  @Test
  void deployment() {
    ObjectNode d = defaulted("apps/v1", "Deployment", "{'metadata':{'name':'d'},'spec':{'selector':{'matchLabels':{'a':'b'}},"
        + "'template':{'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'c','image':'nginx:1.25'}]}}}}");
    assertThat(d.at("/spec/replicas").intValue()).isEqualTo(1);
    assertThat(d.at("/spec/strategy")).isEqualTo(json("{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'25%','maxSurge':'25%'}}"));
    assertThat(d.at("/spec/revisionHistoryLimit").intValue()).isEqualTo(10);
    assertThat(d.at("/spec/progressDeadlineSeconds").intValue()).isEqualTo(600);
    JsonNode podSpec = d.at("/spec/template/spec");
    assertThat(podSpec.get("restartPolicy").stringValue()).isEqualTo("Always");
    assertThat(podSpec.get("dnsPolicy").stringValue()).isEqualTo("ClusterFirst");
    assertThat(podSpec.at("/containers/0/imagePullPolicy").stringValue()).isEqualTo("IfNotPresent");
    // pod-only admission defaults do not go into templates, as in Kubernetes
    assertThat(podSpec.has("tolerations")).isFalse();
    assertThat(podSpec.has("enableServiceLinks")).isFalse();
    assertThat(d.has("status")).isFalse();
  }

  @Test
  void jobDefaultsAndGeneratedSelector() {
    ObjectNode job = json("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','namespace':'default','uid':'u-1'},"
        + "'spec':{'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'pi','image':'busybox'}]}}}}");
    Defaulter.generateJobSelector(job); // the create path, after the uid is set
    Defaulter.applyDefaults(type("batch/v1", "Job"), job);
    JsonNode spec = job.get("spec");
    assertThat(spec.get("completions").intValue()).isEqualTo(1);
    assertThat(spec.get("parallelism").intValue()).isEqualTo(1);
    assertThat(spec.get("backoffLimit").intValue()).isEqualTo(6);
    assertThat(spec.get("completionMode").stringValue()).isEqualTo("NonIndexed");
    assertThat(spec.get("suspend").booleanValue()).isFalse();
    assertThat(spec.get("manualSelector").booleanValue()).isFalse();
    assertThat(spec.get("podReplacementPolicy").stringValue()).isEqualTo("TerminatingOrFailed");
    assertThat(spec.get("selector")).isEqualTo(json("{'matchLabels':{'batch.kubernetes.io/controller-uid':'u-1'}}"));
    ObjectNode podLabels = json("{'job-name':'pi','batch.kubernetes.io/job-name':'pi','controller-uid':'u-1',"
        + "'batch.kubernetes.io/controller-uid':'u-1'}");
    assertThat(spec.at("/template/metadata/labels")).isEqualTo(podLabels);
    assertThat(job.at("/metadata/labels")).as("a Job without labels takes its pods'").isEqualTo(podLabels);
    assertThat(spec.at("/template/spec/dnsPolicy").stringValue()).isEqualTo("ClusterFirst");
    assertThat(spec.at("/template/spec/restartPolicy").stringValue()).isEqualTo("Never");
  }

  @Test
  void jobCountsAndManualSelectors() {
    // parallelism alone leaves completions unset: any one success completes the job
    ObjectNode workQueue = defaulted("batch/v1", "Job", "{'spec':{'parallelism':3,'template':{'spec':{'containers':[]}}}}");
    assertThat(workQueue.at("/spec/completions").isMissingNode()).isTrue();
    assertThat(workQueue.at("/spec/parallelism").intValue()).isEqualTo(3);
    ObjectNode fixed = defaulted("batch/v1", "Job", "{'spec':{'completions':5,'template':{'spec':{'containers':[]}}}}");
    assertThat(fixed.at("/spec/parallelism").intValue()).isEqualTo(1);
    ObjectNode perIndex = defaulted("batch/v1", "Job", "{'spec':{'backoffLimitPerIndex':1,'template':{'spec':{'containers':[]}}}}");
    assertThat(perIndex.at("/spec/backoffLimit").intValue()).isEqualTo(Integer.MAX_VALUE);
    ObjectNode policy = defaulted("batch/v1", "Job", "{'spec':{'podFailurePolicy':{'rules':[{'action':'Ignore',"
        + "'onPodConditions':[{'type':'DisruptionTarget'}]}]},'template':{'spec':{'containers':[]}}}}");
    assertThat(policy.at("/spec/podReplacementPolicy").stringValue()).isEqualTo("Failed");
    assertThat(policy.at("/spec/podFailurePolicy/rules/0/onPodConditions/0/status").stringValue()).isEqualTo("True");
    ObjectNode manual = json("{'metadata':{'name':'m','uid':'u'},'spec':{'manualSelector':true,'selector':{'matchLabels':{'a':'b'}},"
        + "'template':{'metadata':{'labels':{'a':'b'}}}}}");
    Defaulter.generateJobSelector(manual);
    assertThat(manual.at("/spec/selector")).isEqualTo(json("{'matchLabels':{'a':'b'}}"));
    assertThat(manual.at("/spec/template/metadata/labels")).isEqualTo(json("{'a':'b'}"));
  }

  @Test
  void cronJobDefaults() {
    ObjectNode cj = defaulted("batch/v1", "CronJob", "{'spec':{'schedule':'@hourly','jobTemplate':{'spec':{'template':{'spec':{"
        + "'restartPolicy':'OnFailure','containers':[{'name':'c','image':'busybox'}]}}}}}}");
    JsonNode spec = cj.get("spec");
    assertThat(spec.get("concurrencyPolicy").stringValue()).isEqualTo("Allow");
    assertThat(spec.get("suspend").booleanValue()).isFalse();
    assertThat(spec.get("successfulJobsHistoryLimit").intValue()).isEqualTo(3);
    assertThat(spec.get("failedJobsHistoryLimit").intValue()).isEqualTo(1);
    assertThat(spec.at("/jobTemplate/spec/template/spec/schedulerName").stringValue()).isEqualTo("default-scheduler");
    // as in kube: the Job fields are defaulted on the Jobs the controller creates, not in the template
    assertThat(spec.at("/jobTemplate/spec").has("backoffLimit")).isFalse();
  }

  @Test
  void horizontalPodAutoscalerDefaults() {
    ObjectNode bare = defaulted("autoscaling/v2", "HorizontalPodAutoscaler",
        "{'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'maxReplicas':5}}");
    assertThat(bare.at("/spec/minReplicas").intValue()).isEqualTo(1);
    // kube's default metric: 80% of the pods' CPU requests; no behavior unless one is given
    assertThat(bare.at("/spec/metrics/0")).isEqualTo(json(
        "{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':80}}}"));
    assertThat(bare.at("/spec/metrics").size()).isEqualTo(1);
    assertThat(bare.at("/spec").has("behavior")).isFalse();

    ObjectNode withBehavior = defaulted("autoscaling/v2", "HorizontalPodAutoscaler",
        "{'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},'minReplicas':2,'maxReplicas':5,"
            + "'metrics':[{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}}],"
            + "'behavior':{'scaleDown':{'stabilizationWindowSeconds':30}}}}");
    assertThat(withBehavior.at("/spec/minReplicas").intValue()).isEqualTo(2);
    assertThat(withBehavior.at("/spec/metrics/0/resource/name").stringValue()).isEqualTo("memory");
    assertThat(withBehavior.at("/spec/behavior")).isEqualTo(json("{"
        + "'scaleDown':{'stabilizationWindowSeconds':30,'selectPolicy':'Max','policies':[{'type':'Percent','value':100,'periodSeconds':15}]},"
        + "'scaleUp':{'stabilizationWindowSeconds':0,'selectPolicy':'Max','policies':["
        + "{'type':'Percent','value':100,'periodSeconds':15},{'type':'Pods','value':4,'periodSeconds':15}]}}"));
  }

  @Test
  void recreateDeploymentGetsNoRollingUpdate() {
    ObjectNode d = defaulted("apps/v1", "Deployment", "{'spec':{'strategy':{'type':'Recreate'},'template':{'spec':{'containers':[]}}}}");
    assertThat(d.at("/spec/strategy")).isEqualTo(json("{'type':'Recreate'}"));
  }

  @Test
  void replicaSetAndDaemonSet() {
    ObjectNode rs = defaulted("apps/v1", "ReplicaSet", "{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'x'}]}}}}");
    assertThat(rs.at("/spec/replicas").intValue()).isEqualTo(1);
    assertThat(rs.at("/spec/template/spec/schedulerName").stringValue()).isEqualTo("default-scheduler");
    ObjectNode ds = defaulted("apps/v1", "DaemonSet", "{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'x'}]}}}}");
    assertThat(ds.at("/spec/updateStrategy")).isEqualTo(json("{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':1,'maxSurge':0}}"));
    assertThat(ds.at("/spec/revisionHistoryLimit").intValue()).isEqualTo(10);
    assertThat(ds.at("/spec/template/spec/terminationGracePeriodSeconds").intValue()).isEqualTo(30);
  }

  @Test
  void statefulSet() {
    ObjectNode sts = defaulted("apps/v1", "StatefulSet", "{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'x'}]}}}}");
    assertThat(sts.at("/spec/replicas").intValue()).isEqualTo(1);
    assertThat(sts.at("/spec/podManagementPolicy").stringValue()).isEqualTo("OrderedReady");
    assertThat(sts.at("/spec/updateStrategy")).isEqualTo(json("{'type':'RollingUpdate','rollingUpdate':{'partition':0}}"));
    assertThat(sts.at("/spec/revisionHistoryLimit").intValue()).isEqualTo(10);
    assertThat(sts.at("/spec/persistentVolumeClaimRetentionPolicy")).isEqualTo(json("{'whenDeleted':'Retain','whenScaled':'Retain'}"));
    assertThat(sts.at("/spec/template/spec/restartPolicy").stringValue()).isEqualTo("Always");
    ObjectNode onDelete = defaulted("apps/v1", "StatefulSet", "{'spec':{'updateStrategy':{'type':'OnDelete'}}}");
    assertThat(onDelete.at("/spec/updateStrategy")).isEqualTo(json("{'type':'OnDelete'}"));
  }

  @Test
  void service() {
    ObjectNode s = defaulted("v1", "Service", "{'metadata':{'name':'web','namespace':'default'},'spec':{'selector':{'app':'web'},"
        + "'ports':[{'port':80},{'port':443,'targetPort':8443,'protocol':'TCP'}]}}");
    JsonNode spec = s.get("spec");
    assertThat(spec.get("type").stringValue()).isEqualTo("ClusterIP");
    assertThat(spec.get("sessionAffinity").stringValue()).isEqualTo("None");
    assertThat(spec.at("/ports/0")).isEqualTo(json("{'port':80,'protocol':'TCP','targetPort':80}"));
    assertThat(spec.at("/ports/1/targetPort").intValue()).isEqualTo(8443);
    String ip = spec.get("clusterIP").stringValue();
    assertThat(ip).startsWith("10.");
    int second = Integer.parseInt(ip.split("\\.")[1]);
    assertThat(second).isBetween(96, 111);
    assertThat(spec.get("clusterIPs")).isEqualTo(JSON.createArrayNode().add(ip));
    assertThat(spec.get("ipFamilies").toString()).isEqualTo("[\"IPv4\"]");
    assertThat(spec.get("ipFamilyPolicy").stringValue()).isEqualTo("SingleStack");
    assertThat(spec.get("internalTrafficPolicy").stringValue()).isEqualTo("Cluster");
    // stable for the same name
    ObjectNode again = defaulted("v1", "Service", "{'metadata':{'name':'web','namespace':'default'},'spec':{'ports':[{'port':80}]}}");
    assertThat(again.at("/spec/clusterIP").stringValue()).isEqualTo(ip);
  }

  @Test
  void serviceIpAllocatorSkipsTakenAddresses() {
    String first = Defaulter.allocateClusterIp("ns/a", x -> false);
    String second = Defaulter.allocateClusterIp("ns/a", Set.of(first)::contains);
    assertThat(second).isNotEqualTo(first).startsWith("10.");
    assertThat(first).isNotIn("10.96.0.0", "10.96.0.1");
  }

  @Test
  void headlessAndNodePortServices() {
    ObjectNode headless = defaulted("v1", "Service", "{'metadata':{'name':'h'},'spec':{'clusterIP':'None','ports':[{'port':80}]}}");
    assertThat(headless.at("/spec/clusterIP").stringValue()).isEqualTo("None");
    assertThat(headless.at("/spec/clusterIPs").toString()).isEqualTo("[\"None\"]");
    ObjectNode np = defaulted("v1", "Service", "{'metadata':{'name':'n'},'spec':{'type':'NodePort','ports':[{'port':80}]}}");
    assertThat(np.at("/spec/ports/0/nodePort").intValue()).isBetween(30000, 32767);
    assertThat(np.at("/spec/externalTrafficPolicy").stringValue()).isEqualTo("Cluster");
    ObjectNode fixed = defaulted("v1", "Service", "{'metadata':{'name':'f'},'spec':{'clusterIP':'10.96.5.5','ports':[{'port':80}]}}");
    assertThat(fixed.at("/spec/clusterIPs").toString()).isEqualTo("[\"10.96.5.5\"]");
  }

  @Test
  void secret() {
    ObjectNode s = defaulted("v1", "Secret", "{'metadata':{'name':'s'},'data':{'a':'eA=='},'stringData':{'b':'hello'}}");
    assertThat(s.get("type").stringValue()).isEqualTo("Opaque");
    assertThat(s.get("data")).isEqualTo(json("{'a':'eA==','b':'aGVsbG8='}"));
    assertThat(s.has("stringData")).isFalse();
    ObjectNode tls = defaulted("v1", "Secret", "{'type':'kubernetes.io/tls'}");
    assertThat(tls.get("type").stringValue()).isEqualTo("kubernetes.io/tls");
  }

  @Test
  void namespaceAndNode() {
    ObjectNode ns = defaulted("v1", "Namespace", "{'metadata':{'name':'team-a'}}");
    assertThat(ns.at("/spec/finalizers").toString()).isEqualTo("[\"kubernetes\"]");
    assertThat(ns.at("/status/phase").stringValue()).isEqualTo("Active");
    assertThat(ns.at("/metadata/labels/kubernetes.io~1metadata.name").stringValue()).isEqualTo("team-a");
    ObjectNode node = defaulted("v1", "Node", "{'metadata':{'name':'n'},'status':{'capacity':{'cpu':'2','pods':'110'}}}");
    assertThat(node.at("/status/allocatable")).isEqualTo(json("{'cpu':'2','pods':'110'}"));
  }

  @Test
  void kindsWithoutDefaultsAreUntouched() {
    ObjectNode cm = json("{'metadata':{'name':'c'},'data':{'a':'b'}}");
    Defaulter.applyDefaults(type("v1", "ConfigMap"), cm);
    assertThat(cm).isEqualTo(json("{'metadata':{'name':'c'},'data':{'a':'b'}}"));
  }

  @Test
  void serviceUpdateKeepsAllocatedValues() {
    ResourceType svc = type("v1", "Service");
    ObjectNode old = defaulted("v1", "Service", "{'metadata':{'name':'np','namespace':'default'},'spec':{'type':'NodePort','ports':[{'port':80}]}}");
    ObjectNode replacement = json("{'metadata':{'name':'np','namespace':'default'},'spec':{'type':'NodePort','ports':[{'port':80}]}}");
    Defaulter.applyDefaults(svc, replacement, old, ip -> true); // every other IP taken: must not allocate
    assertThat(replacement.at("/spec/clusterIP")).isEqualTo(old.at("/spec/clusterIP"));
    assertThat(replacement.at("/spec/clusterIPs")).isEqualTo(old.at("/spec/clusterIPs"));
    assertThat(replacement.at("/spec/ports/0/nodePort")).isEqualTo(old.at("/spec/ports/0/nodePort"));
  }

  @Test
  void aServiceTurnedClusterIpDropsTheNodePortsItKept() {
    ResourceType svc = type("v1", "Service");
    ObjectNode old = defaulted("v1", "Service", "{'metadata':{'name':'lb','namespace':'default'},'spec':{'type':'LoadBalancer','ports':[{'port':80}]}}");
    ObjectNode patched = old.deepCopy(); // kubectl patch -p '{"spec":{"type":"ClusterIP"}}'
    ((ObjectNode) patched.get("spec")).put("type", "ClusterIP");
    Defaulter.applyDefaults(svc, patched, old, ip -> false);
    assertThat(patched.at("/spec/ports/0").has("nodePort")).isFalse();
    assertThat(patched.at("/spec").has("allocateLoadBalancerNodePorts")).isFalse();
    assertThat(patched.at("/spec").has("externalTrafficPolicy")).isFalse();
    assertThat(patched.at("/spec/clusterIP")).isEqualTo(old.at("/spec/clusterIP"));

    ObjectNode changed = old.deepCopy(); // a node port the update itself sets is the user's: validation refuses it
    ((ObjectNode) changed.get("spec")).put("type", "ClusterIP");
    ((ObjectNode) changed.at("/spec/ports/0")).put("nodePort", 30001);
    Defaulter.applyDefaults(svc, changed, old, ip -> false);
    assertThat(changed.at("/spec/ports/0/nodePort").intValue()).isEqualTo(30001);
  }
}
