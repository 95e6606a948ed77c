package io.keelson.apiserver.printing;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.printing.TablePrinter.IncludeObject;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** What `kubectl get` shows for each kind, from the Table the server builds. */
class TablePrinterTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Instant NOW = Instant.parse("2026-01-10T12:00:00Z");

  private static ResourceType type(String group, String resource) {
    return ResourceRegistry.find(group, group.equals("") ? "v1" : "v1", resource).orElseThrow();
  }

  private static ObjectNode obj(String json) {
    return (ObjectNode) JSON.readTree(json.replace('\'', '"'));
  }

  private static String ago(Duration d) {
    return NOW.minus(d).toString();
  }

  /** header (upper-cased like kubectl) → cell, for the first row. */
  private static java.util.Map<String, String> row(ObjectNode table) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    JsonNode defs = table.get("columnDefinitions");
    JsonNode cells = table.get("rows").get(0).get("cells");
    for (int i = 0; i < defs.size(); i++) {
      m.put(defs.get(i).get("name").asString().toUpperCase(), cells.get(i).isString() ? cells.get(i).asString()
          : cells.get(i).toString());
    }
    return m;
  }

  private static java.util.Map<String, String> print(String group, String resource, String json) {
    return row(TablePrinter.table(type(group, resource), List.of(obj(json)), "7", null, IncludeObject.METADATA, NOW));
  }

  private static String pod(String status) {
    return "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'web','namespace':'default','creationTimestamp':'"
        + ago(Duration.ofMinutes(3).plusSeconds(2)) + "'},'spec':{'containers':[{'name':'a','image':'busybox'}],"
        + "'nodeName':'node-1'},'status':" + status + "}";
  }

  @Test
  void tableShapeKubectlReads() {
    ObjectNode p = obj(pod("{'phase':'Running'}"));
    ObjectNode t = TablePrinter.table(type("", "pods"), List.of(p), "1004", "abc", IncludeObject.METADATA, NOW);
    assertThat(t.get("kind").asString()).isEqualTo("Table");
    assertThat(t.get("apiVersion").asString()).isEqualTo("meta.k8s.io/v1");
    assertThat(t.get("metadata").get("resourceVersion").asString()).isEqualTo("1004");
    assertThat(t.get("metadata").get("continue").asString()).isEqualTo("abc");
    JsonNode name = t.get("columnDefinitions").get(0);
    assertThat(name.get("name").asString()).isEqualTo("Name");
    assertThat(name.get("format").asString()).isEqualTo("name");
    assertThat(name.get("priority").asInt()).isZero();
    JsonNode object = t.get("rows").get(0).get("object");
    assertThat(object.get("kind").asString()).isEqualTo("PartialObjectMetadata");
    assertThat(object.get("apiVersion").asString()).isEqualTo("meta.k8s.io/v1");
    assertThat(object.get("metadata").get("namespace").asString()).isEqualTo("default");
    assertThat(object.has("spec")).isFalse();

    ObjectNode full = TablePrinter.table(type("", "pods"), List.of(p), "1", null, true);
    assertThat(full.get("rows").get(0).get("object").get("kind").asString()).isEqualTo("Pod");
    ObjectNode none = TablePrinter.table(type("", "pods"), List.of(p), "1", null, IncludeObject.NONE);
    assertThat(none.get("rows").get(0).has("object")).isFalse();
  }

  @Test
  void podColumnsAndWideColumns() {
    var r = print("", "pods", pod("{'phase':'Running','podIP':'10.88.0.5','conditions':[{'type':'Ready','status':'True'}],"
        + "'containerStatuses':[{'name':'a','ready':true,'restartCount':0,'state':{'running':{}}}]}"));
    assertThat(r).containsEntry("NAME", "web").containsEntry("READY", "1/1").containsEntry("STATUS", "Running")
        .containsEntry("RESTARTS", "0").containsEntry("AGE", "3m2s").containsEntry("IP", "10.88.0.5")
        .containsEntry("NODE", "node-1").containsEntry("NOMINATED NODE", "<none>")
        .containsEntry("READINESS GATES", "<none>");
    ObjectNode t = TablePrinter.table(type("", "pods"), List.of(obj(pod("{}"))), "1", null, IncludeObject.METADATA, NOW);
    List<String> wide = new ArrayList<>();
    t.get("columnDefinitions").forEach(c -> {
      if (c.get("priority").asInt() == 1) wide.add(c.get("name").asString());
    });
    assertThat(wide).containsExactly("IP", "Node", "Nominated Node", "Readiness Gates");
  }

  @Test
  void podStatusLikeKubectl() {
    assertThat(print("", "pods", pod("{'phase':'Pending'}")).get("STATUS")).isEqualTo("Pending");
    assertThat(print("", "pods", pod("{}")).get("STATUS")).isEqualTo("Pending");
    assertThat(print("", "pods", pod("{'phase':'Pending','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':0,'state':{'waiting':{'reason':'ContainerCreating'}}}]}")).get("STATUS"))
        .isEqualTo("ContainerCreating");
    assertThat(print("", "pods", pod("{'phase':'Pending','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':0,'state':{'waiting':{'reason':'ErrImagePull'}}}]}")).get("STATUS"))
        .isEqualTo("ErrImagePull");
    assertThat(print("", "pods", pod("{'phase':'Succeeded','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}")).get("STATUS"))
        .isEqualTo("Completed");
    assertThat(print("", "pods", pod("{'phase':'Running','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':1,'state':{'terminated':{'exitCode':137,'reason':'OOMKilled'}}}]}")).get("STATUS"))
        .isEqualTo("OOMKilled");
    assertThat(print("", "pods", pod("{'phase':'Failed','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':0,'state':{'terminated':{'exitCode':3}}}]}")).get("STATUS")).isEqualTo("ExitCode:3");

    var crash = print("", "pods", pod("{'phase':'Running','containerStatuses':[{'name':'a','ready':false,"
        + "'restartCount':2,'state':{'waiting':{'reason':'CrashLoopBackOff'}},"
        + "'lastState':{'terminated':{'exitCode':1,'finishedAt':'" + ago(Duration.ofSeconds(5)) + "'}}}]}"));
    assertThat(crash).containsEntry("STATUS", "CrashLoopBackOff").containsEntry("RESTARTS", "2 (5s ago)")
        .containsEntry("READY", "0/1");

    String withInit = "{'kind':'Pod','metadata':{'name':'p','creationTimestamp':'" + ago(Duration.ofSeconds(4))
        + "'},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
        + "'initContainerStatuses':[{'name':'i','ready':false,'restartCount':0,'state':{'running':{}}}]}}";
    assertThat(print("", "pods", withInit).get("STATUS")).isEqualTo("Init:0/1");

    String deleting = pod("{'phase':'Running'}").replace("'namespace'",
        "'deletionTimestamp':'" + NOW + "','namespace'".replace('\'', '"'));
    assertThat(print("", "pods", deleting.replace('\'', '"')).get("STATUS")).isEqualTo("Terminating");
  }

  @Test
  void nodeColumns() {
    String node = "{'kind':'Node','metadata':{'name':'node-1','creationTimestamp':'" + ago(Duration.ofHours(4))
        + "','labels':{'node-role.kubernetes.io/control-plane':''}},'spec':{'unschedulable':true},"
        + "'status':{'conditions':[{'type':'Ready','status':'True'}],'addresses':[{'type':'InternalIP',"
        + "'address':'127.0.0.1'}],'nodeInfo':{'kubeletVersion':'v1.32.4-keelson','osImage':'Debian',"
        + "'kernelVersion':'6.1','containerRuntimeVersion':'runc://1.1'}}}";
    assertThat(print("", "nodes", node)).containsEntry("STATUS", "Ready,SchedulingDisabled")
        .containsEntry("ROLES", "control-plane").containsEntry("AGE", "4h").containsEntry("VERSION", "v1.32.4-keelson")
        .containsEntry("INTERNAL-IP", "127.0.0.1").containsEntry("EXTERNAL-IP", "<none>")
        .containsEntry("OS-IMAGE", "Debian").containsEntry("KERNEL-VERSION", "6.1")
        .containsEntry("CONTAINER-RUNTIME", "runc://1.1");
    assertThat(print("", "nodes", "{'metadata':{'name':'n'},'status':{'conditions':[{'type':'Ready',"
        + "'status':'False'}]}}").get("STATUS")).isEqualTo("NotReady");
    assertThat(print("", "nodes", "{'metadata':{'name':'n'}}")).containsEntry("STATUS", "Unknown")
        .containsEntry("ROLES", "<none>");
  }

  @Test
  void podDisruptionBudgetColumns() {
    String pdb = "{'kind':'PodDisruptionBudget','metadata':{'name':'web','creationTimestamp':'" + ago(Duration.ofMinutes(5))
        + "'},'spec':{'minAvailable':'50%','selector':{'matchLabels':{'app':'web'}}},'status':{'disruptionsAllowed':1}}";
    assertThat(print("policy", "poddisruptionbudgets", pdb)).containsEntry("NAME", "web").containsEntry("MIN AVAILABLE", "50%")
        .containsEntry("MAX UNAVAILABLE", "N/A").containsEntry("ALLOWED DISRUPTIONS", "1").containsEntry("AGE", "5m");
    assertThat(print("policy", "poddisruptionbudgets", "{'metadata':{'name':'db'},'spec':{'maxUnavailable':1}}"))
        .containsEntry("MIN AVAILABLE", "N/A").containsEntry("MAX UNAVAILABLE", "1").containsEntry("ALLOWED DISRUPTIONS", "0");
  }

  @Test
  void ingressColumns() {
    String ingress = "{'kind':'Ingress','metadata':{'name':'web','creationTimestamp':'" + ago(Duration.ofMinutes(5)) + "'},"
        + "'spec':{'ingressClassName':'nginx','tls':[{'hosts':['a.example.com']}],'rules':[{'host':'a.example.com'},{'host':'b.example.com'},"
        + "{},{'host':'d.example.com'},{'host':'e.example.com'}]},'status':{'loadBalancer':{'ingress':[{'ip':'192.168.10.10'},"
        + "{'hostname':'lb.example.com'}]}}}";
    assertThat(print("networking.k8s.io", "ingresses", ingress)).containsEntry("NAME", "web").containsEntry("CLASS", "nginx")
        .containsEntry("HOSTS", "a.example.com,b.example.com,d.example.com + 2 more...").containsEntry("ADDRESS", "192.168.10.10...")
        .containsEntry("PORTS", "80, 443").containsEntry("AGE", "5m");
    assertThat(print("networking.k8s.io", "ingresses", "{'metadata':{'name':'d'},'spec':{'defaultBackend':{}},'status':{'loadBalancer':{}}}"))
        .containsEntry("CLASS", "<none>").containsEntry("HOSTS", "*").containsEntry("ADDRESS", "").containsEntry("PORTS", "80");
    assertThat(print("networking.k8s.io", "ingressclasses", "{'metadata':{'name':'nginx'},'spec':{'controller':'k8s.io/ingress-nginx',"
        + "'parameters':{'apiGroup':'k8s.example.com','kind':'IngressParameters','name':'external-lb'}}}"))
        .containsEntry("CONTROLLER", "k8s.io/ingress-nginx").containsEntry("PARAMETERS", "IngressParameters.k8s.example.com/external-lb");
  }

  @Test
  void networkPolicyColumns() {
    String np = "{'kind':'NetworkPolicy','metadata':{'name':'db','creationTimestamp':'" + ago(Duration.ofMinutes(3))
        + "'},'spec':{'podSelector':{'matchLabels':{'app':'db'}}}}";
    assertThat(print("networking.k8s.io", "networkpolicies", np)).containsEntry("NAME", "db").containsEntry("POD-SELECTOR", "app=db")
        .containsEntry("AGE", "3m");
    assertThat(print("networking.k8s.io", "networkpolicies", "{'metadata':{'name':'deny'},'spec':{'podSelector':{}}}"))
        .containsEntry("POD-SELECTOR", "<none>");
  }

  @Test
  void resourceQuotaAndLimitRangeColumns() {
    String quota = "{'kind':'ResourceQuota','metadata':{'name':'q','creationTimestamp':'" + ago(Duration.ofMinutes(3))
        + "'},'spec':{'hard':{'pods':'10'}},'status':{'hard':{'requests.cpu':'1','pods':'10','limits.memory':'1Gi',"
        + "'count/configmaps':'5'},'used':{'requests.cpu':'100m','pods':'1','limits.memory':'128Mi'}}}";
    assertThat(print("", "resourcequotas", quota)).containsEntry("NAME", "q").containsEntry("AGE", "3m")
        .containsEntry("REQUEST", "count/configmaps: 0/5, pods: 1/10, requests.cpu: 100m/1")
        .containsEntry("LIMIT", "limits.memory: 128Mi/1Gi");
    assertThat(print("", "limitranges", "{'metadata':{'name':'lr','creationTimestamp':'2026-01-02T03:04:05Z'},'spec':{}}"))
        .containsEntry("NAME", "lr").containsEntry("CREATED AT", "2026-01-02T03:04:05Z");
  }

  @Test
  void workloadColumns() {
    String deploy = "{'kind':'Deployment','metadata':{'name':'web','creationTimestamp':'" + ago(Duration.ofDays(2)
        .plusHours(3)) + "'},'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web'},'matchExpressions':"
        + "[{'key':'tier','operator':'In','values':['b','a']}]},'template':{'spec':{'containers':[{'name':'a',"
        + "'image':'busybox'},{'name':'b','image':'nginx'}]}}},'status':{'readyReplicas':2,'updatedReplicas':3,"
        + "'availableReplicas':2}}";
    assertThat(print("apps", "deployments", deploy)).containsEntry("READY", "2/3").containsEntry("UP-TO-DATE", "3")
        .containsEntry("AVAILABLE", "2").containsEntry("AGE", "2d3h").containsEntry("CONTAINERS", "a,b")
        .containsEntry("IMAGES", "busybox,nginx").containsEntry("SELECTOR", "app=web,tier in (a,b)");
    assertThat(print("apps", "replicasets", "{'metadata':{'name':'rs'},'spec':{},'status':{'replicas':1}}"))
        .containsEntry("DESIRED", "1").containsEntry("CURRENT", "1").containsEntry("READY", "0")
        .containsEntry("AGE", "<unknown>");
    assertThat(print("apps", "daemonsets", "{'metadata':{'name':'ds'},'spec':{'template':{'spec':{'nodeSelector':"
        + "{'kubernetes.io/os':'linux'}}}},'status':{'desiredNumberScheduled':2,'numberReady':1}}"))
        .containsEntry("DESIRED", "2").containsEntry("READY", "1").containsEntry("NODE SELECTOR", "kubernetes.io/os=linux");
  }

  @Test
  void jobAndCronJobColumns() {
    String job = "{'kind':'Job','metadata':{'name':'pi','creationTimestamp':'" + ago(Duration.ofMinutes(5)) + "'},"
        + "'spec':{'completions':3,'parallelism':1,'selector':{'matchLabels':{'batch.kubernetes.io/controller-uid':'u1'}},"
        + "'template':{'spec':{'containers':[{'name':'pi','image':'perl'}]}}},'status':%s}";
    var running = print("batch", "jobs", job.formatted("{'succeeded':1,'startTime':'" + ago(Duration.ofSeconds(90)) + "'}"));
    assertThat(running).containsEntry("STATUS", "Running").containsEntry("COMPLETIONS", "1/3").containsEntry("DURATION", "90s")
        .containsEntry("AGE", "5m").containsEntry("CONTAINERS", "pi").containsEntry("IMAGES", "perl")
        .containsEntry("SELECTOR", "batch.kubernetes.io/controller-uid=u1");
    var done = print("batch", "jobs", job.formatted("{'succeeded':3,'startTime':'" + ago(Duration.ofMinutes(4)) + "','completionTime':'"
        + ago(Duration.ofMinutes(3)) + "','conditions':[{'type':'Complete','status':'True'}]}"));
    assertThat(done).containsEntry("STATUS", "Complete").containsEntry("COMPLETIONS", "3/3").containsEntry("DURATION", "60s");
    assertThat(print("batch", "jobs", job.formatted("{'conditions':[{'type':'Failed','status':'True'}]}")).get("STATUS")).isEqualTo("Failed");
    assertThat(print("batch", "jobs", job.formatted("{'conditions':[{'type':'Suspended','status':'True'}]}")))
        .containsEntry("STATUS", "Suspended").containsEntry("DURATION", "").containsEntry("COMPLETIONS", "0/3");
    // no completions: any one success completes the job
    assertThat(TablePrinter.jobCompletions(obj("{'spec':{'parallelism':4},'status':{'succeeded':2}}"))).isEqualTo("2/1 of 4");
    assertThat(TablePrinter.jobCompletions(obj("{'spec':{'parallelism':1}}"))).isEqualTo("0/1");

    String cj = "{'kind':'CronJob','metadata':{'name':'nightly','creationTimestamp':'" + ago(Duration.ofHours(2)) + "'},"
        + "'spec':{'schedule':'*/5 * * * *','suspend':false,'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'busybox'}]}}}}},"
        + "'status':{'active':[{'name':'nightly-1'}],'lastScheduleTime':'" + ago(Duration.ofMinutes(3)) + "'}}";
    assertThat(print("batch", "cronjobs", cj)).containsExactly(java.util.Map.entry("NAME", "nightly"),
        java.util.Map.entry("SCHEDULE", "*/5 * * * *"), java.util.Map.entry("TIMEZONE", "<none>"), java.util.Map.entry("SUSPEND", "False"),
        java.util.Map.entry("ACTIVE", "1"), java.util.Map.entry("LAST SCHEDULE", "3m"), java.util.Map.entry("AGE", "120m"),
        java.util.Map.entry("CONTAINERS", "c"), java.util.Map.entry("IMAGES", "busybox"), java.util.Map.entry("SELECTOR", "<none>"));
    assertThat(print("batch", "cronjobs", "{'metadata':{'name':'x'},'spec':{'schedule':'@daily','timeZone':'Europe/Berlin'}}"))
        .containsEntry("TIMEZONE", "Europe/Berlin").containsEntry("SUSPEND", "<unset>").containsEntry("LAST SCHEDULE", "<none>")
        .containsEntry("ACTIVE", "0");
  }

  @Test
  void serviceAndOtherColumns() {
    assertThat(print("", "services", "{'metadata':{'name':'web'},'spec':{'type':'NodePort','clusterIP':'10.96.0.10',"
        + "'ports':[{'port':80,'nodePort':30080,'protocol':'TCP'},{'port':53,'protocol':'UDP'}],"
        + "'selector':{'app':'web'}}}"))
        .containsEntry("TYPE", "NodePort").containsEntry("CLUSTER-IP", "10.96.0.10")
        .containsEntry("EXTERNAL-IP", "<none>").containsEntry("PORT(S)", "80:30080/TCP,53/UDP")
        .containsEntry("SELECTOR", "app=web");
    assertThat(print("", "services", "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer'}}"))
        .containsEntry("EXTERNAL-IP", "<pending>").containsEntry("PORT(S)", "<none>");
    assertThat(print("", "configmaps", "{'metadata':{'name':'c'},'data':{'a':'1','b':'2'}}")).containsEntry("DATA", "2");
    assertThat(print("", "secrets", "{'metadata':{'name':'s'},'type':'Opaque','data':{'a':'MQ=='}}"))
        .containsEntry("TYPE", "Opaque").containsEntry("DATA", "1");
    assertThat(print("", "namespaces", "{'metadata':{'name':'n'},'status':{'phase':'Terminating'}}"))
        .containsEntry("STATUS", "Terminating");
    assertThat(print("", "endpoints", "{'metadata':{'name':'e'},'subsets':[{'addresses':[{'ip':'10.0.0.1'},"
        + "{'ip':'10.0.0.2'}],'ports':[{'port':80},{'port':443}]}]}"))
        .containsEntry("ENDPOINTS", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."); // port by port, as kubectl
    assertThat(print("", "endpoints", "{'metadata':{'name':'e'},'subsets':[{'addresses':[{'ip':'10.244.1.4'},"
        + "{'ip':'10.244.1.5'}],'notReadyAddresses':[{'ip':'10.244.1.6'}],'ports':[{'port':8080}]}]}"))
        .containsEntry("ENDPOINTS", "10.244.1.4:8080,10.244.1.5:8080");
    assertThat(print("", "endpoints", "{'metadata':{'name':'e'}}")).containsEntry("ENDPOINTS", "<none>");
    assertThat(print("", "endpoints", "{'metadata':{'name':'e'},'subsets':[{'notReadyAddresses':[{'ip':'10.244.1.6'}],"
        + "'ports':[{'port':8080}]}]}")).containsEntry("ENDPOINTS", "");
    assertThat(print("discovery.k8s.io", "endpointslices", "{'metadata':{'name':'web-abc12'},'addressType':'IPv4',"
        + "'ports':[{'name':'','port':8080,'protocol':'TCP'}],'endpoints':[{'addresses':['10.244.1.4']},"
        + "{'addresses':['10.244.1.5']},{'addresses':['10.244.2.3']},{'addresses':['10.244.2.4']}]}"))
        .containsEntry("NAME", "web-abc12").containsEntry("ADDRESSTYPE", "IPv4").containsEntry("PORTS", "8080")
        .containsEntry("ENDPOINTS", "10.244.1.4,10.244.1.5,10.244.2.3 + 1 more...");
    assertThat(print("discovery.k8s.io", "endpointslices", "{'metadata':{'name':'web-abc12'},'addressType':'IPv4'}"))
        .containsEntry("PORTS", "<unset>").containsEntry("ENDPOINTS", "<unset>");
    assertThat(print("", "serviceaccounts", "{'metadata':{'name':'default'}}")).containsEntry("SECRETS", "0");
    assertThat(print("coordination.k8s.io", "leases", "{'metadata':{'name':'node-1'},'spec':{'holderIdentity':"
        + "'node-1'}}")).containsEntry("HOLDER", "node-1");
    assertThat(print("node.k8s.io", "runtimeclasses", "{'metadata':{'name':'vm'},'handler':'vm'}"))
        .containsEntry("HANDLER", "vm");
    assertThat(print("scheduling.k8s.io", "priorityclasses", "{'metadata':{'name':'high'},'value':1000,"
        + "'globalDefault':false}")).containsEntry("VALUE", "1000").containsEntry("GLOBAL-DEFAULT", "false")
        .containsEntry("PREEMPTIONPOLICY", "PreemptLowerPriority");
  }

  @Test
  void storageColumns() {
    assertThat(print("", "persistentvolumes", "{'metadata':{'name':'pvc-1'},'spec':{'capacity':{'storage':'1Gi'},"
        + "'accessModes':['ReadOnlyMany','ReadWriteOnce'],'persistentVolumeReclaimPolicy':'Delete','storageClassName':'local-path',"
        + "'claimRef':{'namespace':'default','name':'data'},'volumeMode':'Filesystem'},'status':{'phase':'Bound'}}"))
        .containsEntry("CAPACITY", "1Gi").containsEntry("ACCESS MODES", "RWO,ROX").containsEntry("RECLAIM POLICY", "Delete")
        .containsEntry("STATUS", "Bound").containsEntry("CLAIM", "default/data").containsEntry("STORAGECLASS", "local-path")
        .containsEntry("VOLUMEATTRIBUTESCLASS", "<unset>").containsEntry("REASON", "");
    assertThat(print("", "persistentvolumeclaims", "{'metadata':{'name':'data'},'spec':{'volumeName':'pvc-1',"
        + "'storageClassName':'local-path'},'status':{'phase':'Bound','capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce']}}"))
        .containsEntry("STATUS", "Bound").containsEntry("VOLUME", "pvc-1").containsEntry("CAPACITY", "1Gi")
        .containsEntry("ACCESS MODES", "RWO").containsEntry("STORAGECLASS", "local-path");
    assertThat(print("storage.k8s.io", "storageclasses", "{'metadata':{'name':'local-path','annotations':"
        + "{'storageclass.kubernetes.io/is-default-class':'true'}},'provisioner':'keelson.io/local-path','reclaimPolicy':'Delete',"
        + "'volumeBindingMode':'WaitForFirstConsumer'}"))
        .containsEntry("NAME", "local-path (default)").containsEntry("PROVISIONER", "keelson.io/local-path")
        .containsEntry("RECLAIMPOLICY", "Delete").containsEntry("VOLUMEBINDINGMODE", "WaitForFirstConsumer")
        .containsEntry("ALLOWVOLUMEEXPANSION", "false");
  }

  @Test
  void eventColumns() {
    String ev = "{'kind':'Event','metadata':{'name':'web.1'},'type':'Warning','reason':'BackOff','message':' Back-off '"
        + ",'involvedObject':{'kind':'Pod','name':'web'},'source':{'component':'kubelet','host':'node-1'},"
        + "'count':3,'firstTimestamp':'" + ago(Duration.ofMinutes(10)) + "','lastTimestamp':'"
        + ago(Duration.ofMinutes(2)) + "'}";
    assertThat(print("", "events", ev)).containsEntry("LAST SEEN", "2m").containsEntry("COUNT", "3").containsEntry("FIRST SEEN", "10m").containsEntry("TYPE", "Warning")
        .containsEntry("REASON", "BackOff").containsEntry("OBJECT", "pod/web").containsEntry("MESSAGE", "Back-off")
        .containsEntry("SOURCE", "kubelet, node-1");
    String newEv = "{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'x'},'type':'Normal',"
        + "'reason':'Scheduled','note':'assigned','regarding':{'kind':'Pod','name':'web'},'eventTime':'"
        + ago(Duration.ofSeconds(5)) + "','reportingController':'keelson-scheduler'}";
    assertThat(print("events.k8s.io", "events", newEv)).containsEntry("LAST SEEN", "5s")
        .containsEntry("OBJECT", "pod/web").containsEntry("MESSAGE", "assigned");
  }

  @Test
  void agesLikeKubectl() {
    assertThat(Ages.human(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(Ages.human(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Ages.human(Duration.ofSeconds(182))).isEqualTo("3m2s");
    assertThat(Ages.human(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Ages.human(Duration.ofMinutes(45))).isEqualTo("45m");
    assertThat(Ages.human(Duration.ofHours(4))).isEqualTo("4h");
    assertThat(Ages.human(Duration.ofMinutes(5 * 60 + 3))).isEqualTo("5h3m");
    assertThat(Ages.human(Duration.ofHours(20))).isEqualTo("20h");
    assertThat(Ages.human(Duration.ofHours(51))).isEqualTo("2d3h");
    assertThat(Ages.human(Duration.ofDays(20))).isEqualTo("20d");
    assertThat(Ages.human(Duration.ofDays(365 * 2 + 40))).isEqualTo("2y40d");
    assertThat(Ages.human(Duration.ofSeconds(-1))).isEqualTo("0s");
    assertThat(Ages.human(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
  }

  @Test
  void acceptHeaders() {
    String table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
        + "application/json";
    assertThat(TablePrinter.wantsTable(table)).isTrue();
    assertThat(TablePrinter.wantsTable("application/json")).isFalse();
    assertThat(TablePrinter.wantsTable(null)).isFalse();
    assertThat(TablePrinter.wantsTable("application/json, application/json;as=Table;v=v1;g=meta.k8s.io")).isFalse();
    assertThat(TablePrinter.wantsTable("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,"
        + "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")).isTrue();
    assertThat(TablePrinter.wantsPartialObjectMetadata(
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")).isTrue();

    ObjectNode list = TablePrinter.partialObjectMetadataList(List.of(obj(pod("{}"))), "9", null);
    assertThat(list.get("kind").asString()).isEqualTo("PartialObjectMetadataList");
    assertThat(list.get("metadata").get("resourceVersion").asString()).isEqualTo("9");
    assertThat(list.get("items").get(0).get("kind").asString()).isEqualTo("PartialObjectMetadata");
    assertThat(list.get("items").get(0).get("metadata").get("name").asString()).isEqualTo("web");
  }

  @Test
  void rbacKindsPrintAsKubectlShowsThem() {
    ResourceType rb = ResourceRegistry.find("rbac.authorization.k8s.io", "v1", "rolebindings").orElseThrow();
    ObjectNode binding = obj("""
        {"metadata":{"name":"reads","namespace":"apps","creationTimestamp":"2026-01-01T00:00:00Z"},
         "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},
         "subjects":[{"kind":"User","name":"jane"},{"kind":"Group","name":"devs"},{"kind":"User","name":"joe"},
                     {"kind":"ServiceAccount","name":"robot","namespace":"apps"},{"kind":"ServiceAccount","name":"bare"}]}""");
    ObjectNode t = TablePrinter.table(rb, List.of(binding), "1", null, TablePrinter.IncludeObject.NONE);
    List<String> headers = new java.util.ArrayList<>();
    t.get("columnDefinitions").forEach(c -> headers.add(c.get("name").asString() + "/" + c.get("priority").asInt()));
    assertThat(headers).containsExactly("Name/0", "Role/0", "Age/0", "Users/1", "Groups/1", "ServiceAccounts/1");
    JsonNode cells = t.get("rows").get(0).get("cells");
    assertThat(cells.get(1).asString()).isEqualTo("Role/pod-reader");
    assertThat(cells.get(3).asString()).isEqualTo("jane, joe");
    assertThat(cells.get(4).asString()).isEqualTo("devs");
    assertThat(cells.get(5).asString()).isEqualTo("apps/robot, bare");
    ResourceType roles = ResourceRegistry.find("rbac.authorization.k8s.io", "v1", "roles").orElseThrow();
    JsonNode role = TablePrinter.table(roles, List.of(obj("{\"metadata\":{\"name\":\"r\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"}}")),
        "1", null, TablePrinter.IncludeObject.NONE);
    assertThat(role.at("/columnDefinitions/1/name").asString()).isEqualTo("Created At");
    assertThat(role.at("/rows/0/cells/1").asString()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void everyRegisteredKindHasItsOwnColumns() {
    for (ResourceType t : ResourceRegistry.all()) {
      if (!io.keelson.apiserver.discovery.ApiDiscovery.verbs(t).contains("list")) continue; // reviews: created, never listed
      // not the fallback Name, Age: Roles have kube's two columns of their own (Name, Created At)
      assertThat(TablePrinter.columns(t)).extracting(TablePrinter.Column::name).as(t.qualifiedResource())
          .isNotEqualTo(List.of("Name", "Age"));
    }
  }

  @Test
  void podMetricsRowsSumTheirContainers() {
    tools.jackson.databind.JsonNode pm = tools.jackson.databind.json.JsonMapper.builder().build().readTree(
        "{\"containers\":[{\"usage\":{\"cpu\":\"250000000n\",\"memory\":\"1024Ki\"}},"
            + "{\"usage\":{\"cpu\":\"5n\",\"memory\":\"1Ki\"}}]}");
    assertThat(TablePrinter.podMetricsSum(pm, "cpu")).isEqualTo("250000005n");
    assertThat(TablePrinter.podMetricsSum(pm, "memory")).isEqualTo("1025Ki");
  }

  @Test
  void horizontalPodAutoscalerColumns() {
    String hpa = "{'kind':'HorizontalPodAutoscaler','metadata':{'name':'web','creationTimestamp':'" + ago(Duration.ofMinutes(2)) + "'},"
        + "'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'minReplicas':1,'maxReplicas':5,"
        + "'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}}]},'status':%s}";
    var measured = row(TablePrinter.table(ResourceRegistry.find("autoscaling", "v2", "horizontalpodautoscalers").orElseThrow(),
        List.of(obj(hpa.formatted("{'currentReplicas':3,'desiredReplicas':3,'currentMetrics':[{'type':'Resource','resource':{'name':'cpu',"
            + "'current':{'averageUtilization':12,'averageValue':'12m'}}}]}"))), "7", null, IncludeObject.METADATA, NOW));
    assertThat(measured).containsExactly(java.util.Map.entry("NAME", "web"), java.util.Map.entry("REFERENCE", "Deployment/web"),
        java.util.Map.entry("TARGETS", "cpu: 12%/50%"), java.util.Map.entry("MINPODS", "1"), java.util.Map.entry("MAXPODS", "5"),
        java.util.Map.entry("REPLICAS", "3"), java.util.Map.entry("AGE", "2m"));
    assertThat(TablePrinter.hpaTargets(obj(hpa.formatted("{}")))).isEqualTo("cpu: <unknown>/50%");
    // v1's shape (served from the same objects)
    assertThat(TablePrinter.hpaTargets(obj("{'spec':{'targetCPUUtilizationPercentage':80},'status':{'currentCPUUtilizationPercentage':7}}")))
        .isEqualTo("cpu: 7%/80%");
    assertThat(TablePrinter.hpaTargets(obj("{'spec':{'metrics':["
        + "{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}},"
        + "{'type':'Pods','pods':{'metric':{'name':'qps'},'target':{'type':'AverageValue','averageValue':'10'}}},"
        + "{'type':'External','external':{'metric':{'name':'queue'},'target':{'type':'Value','value':'30'}}}]}}")))
        .isEqualTo("memory: <unknown>/100Mi, qps: <unknown>/10 + 1 more...");
    assertThat(TablePrinter.hpaTargets(obj("{'spec':{}}"))).isEqualTo("<none>");
  }
}
