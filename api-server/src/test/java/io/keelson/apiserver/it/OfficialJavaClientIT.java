package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.VersionApi;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1DeploymentSpec;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodTemplateSpec;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import java.io.FileReader;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official Kubernetes Java client (io.kubernetes:client-java) against a real api-server and etcd,
 * as its users call it: generated APIs, PatchUtils, the generic API and a SharedInformer. Its
 * models differ from kubectl's requests in ways that matter: it calls discovery paths with a
 * trailing slash (GET /version/) and sends {@code managedFields: []} on every write.
 */
class OfficialJavaClientIT {

  private static TestCluster c;
  private static ApiClient client;
  private static CoreV1Api core;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @BeforeAll
  static void start() throws Exception {
    c = TestCluster.start("javaclient", 1);
    try (FileReader r = new FileReader(c.kubeconfig().toFile())) {
      client = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(r)).build();
    }
    core = new CoreV1Api(client);
  }

  @AfterAll
  static void stop() throws Exception {
    if (c != null) c.close();
  }

  /** managedFields as stored (client-java's models drop them when reading). */
  private static JsonNode managedFields(String name) throws Exception {
    HttpResponse<String> r = c.send(c.request(c.api(), "/api/v1/namespaces/default/configmaps/" + name).GET().build());
    return JSON.readTree(r.body()).path("metadata").path("managedFields");
  }

  private static List<String> managers(JsonNode mf) {
    return mf.valueStream().map(e -> e.path("manager").asString() + "/" + e.path("operation").asString()).toList();
  }

  @Test
  void versionAndErrors() throws Exception {
    assertThat(new VersionApi(client).getCode().execute().getMinor()).isEqualTo("32");
    assertThatThrownBy(() -> core.readNamespacedConfigMap("nowhere", "default").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  @Test
  void writesKeepFieldOwnershipAndPatchesOfEveryKindApply() throws Exception {
    V1ConfigMap cm = new V1ConfigMap().metadata(new V1ObjectMeta().name("owned").labels(Map.of("app", "demo")))
        .data(Map.of("a", "1"));
    V1ConfigMap created = core.createNamespacedConfigMap("default", cm).execute();
    assertThat(created.getMetadata().getUid()).isNotBlank();
    assertThat(managers(managedFields("owned"))).containsExactly("Kubernetes Java Client/Update");

    // kubectl takes a field with server-side apply; a replace by the Java client then must not wipe
    // that ownership (it sends managedFields: [], which Kubernetes ignores)
    PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("owned", "default",
            new V1Patch("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {b: '2'}\n"))
        .fieldManager("kubectl").force(true).buildCall(null), V1Patch.PATCH_FORMAT_APPLY_YAML, client);
    V1ConfigMap current = core.readNamespacedConfigMap("owned", "default").execute();
    current.getData().put("c", "3");
    V1ConfigMap replaced = core.replaceNamespacedConfigMap("owned", "default", current).fieldManager("java-editor").execute();
    assertThat(replaced.getData()).containsEntry("a", "1").containsEntry("b", "2").containsEntry("c", "3");
    assertThat(managers(managedFields("owned")))
        .containsExactlyInAnyOrder("Kubernetes Java Client/Update", "kubectl/Apply", "java-editor/Update");
    // so a conflicting apply by someone else is still caught
    assertThatThrownBy(() -> PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("owned", "default",
            new V1Patch("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {b: 'other'}\n"))
        .fieldManager("someone").buildCall(null), V1Patch.PATCH_FORMAT_APPLY_YAML, client))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(409));

    V1ConfigMap smp = PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("owned", "default",
        new V1Patch("{\"data\":{\"d\":\"4\"}}")).buildCall(null), V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH, client);
    V1ConfigMap jsonPatched = PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("owned", "default",
        new V1Patch("[{\"op\":\"remove\",\"path\":\"/data/a\"}]")).buildCall(null), V1Patch.PATCH_FORMAT_JSON_PATCH, client);
    V1ConfigMap merged = PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("owned", "default",
        new V1Patch("{\"data\":{\"e\":\"5\"}}")).buildCall(null), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
    assertThat(smp.getData()).containsEntry("d", "4");
    assertThat(jsonPatched.getData()).doesNotContainKey("a");
    assertThat(merged.getData()).containsOnlyKeys("b", "c", "d", "e");

    assertThatThrownBy(() -> core.createNamespacedConfigMap("default", cm).execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    core.deleteNamespacedConfigMap("owned", "default").execute();
  }

  @Test
  void anInformerSeesAddsUpdatesAndDeletes() throws Exception {
    SharedInformerFactory factory = new SharedInformerFactory(client);
    SharedIndexInformer<V1ConfigMap> informer = factory.sharedIndexInformerFor(
        params -> core.listNamespacedConfigMap("default").labelSelector("informed=yes")
            .resourceVersion(params.resourceVersion).timeoutSeconds(params.timeoutSeconds).watch(params.watch).buildCall(null),
        V1ConfigMap.class, V1ConfigMapList.class);
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(V1ConfigMap o) {
        seen.add("ADD " + o.getMetadata().getName());
      }

      @Override
      public void onUpdate(V1ConfigMap o, V1ConfigMap n) {
        seen.add("UPDATE " + n.getMetadata().getName() + " " + n.getData());
      }

      @Override
      public void onDelete(V1ConfigMap o, boolean finalStateUnknown) {
        seen.add("DELETE " + o.getMetadata().getName());
      }
    });
    core.createNamespacedConfigMap("default", new V1ConfigMap()
        .metadata(new V1ObjectMeta().name("before").labels(Map.of("informed", "yes")))).execute();
    factory.startAllRegisteredInformers();
    try {
      Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(informer::hasSynced);
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("ADD before");
      core.createNamespacedConfigMap("default", new V1ConfigMap()
          .metadata(new V1ObjectMeta().name("after").labels(Map.of("informed", "yes")))).execute();
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("ADD after");
      PatchUtils.patch(V1ConfigMap.class, () -> core.patchNamespacedConfigMap("after", "default",
          new V1Patch("{\"data\":{\"k\":\"v\"}}")).buildCall(null), V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("UPDATE after {k=v}");
      core.deleteNamespacedConfigMap("before", "default").execute();
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("DELETE before");
      assertThat(informer.getIndexer().list()).extracting(o -> o.getMetadata().getName()).containsExactly("after");
    } finally {
      factory.stopAllRegisteredInformers();
    }
  }

  @Test
  void theGenericApiCreatesADeploymentWithDefaults() throws Exception {
    GenericKubernetesApi<V1Deployment, io.kubernetes.client.openapi.models.V1DeploymentList> deployments =
        new GenericKubernetesApi<>(V1Deployment.class, io.kubernetes.client.openapi.models.V1DeploymentList.class,
            "apps", "v1", "deployments", client);
    V1Deployment d = new V1Deployment().metadata(new V1ObjectMeta().name("generic")).spec(new V1DeploymentSpec()
        .selector(new V1LabelSelector().matchLabels(Map.of("app", "generic")))
        .template(new V1PodTemplateSpec().metadata(new V1ObjectMeta().labels(Map.of("app", "generic")))
            .spec(new V1PodSpec().containers(List.of(new V1Container().name("c").image("busybox"))))));
    KubernetesApiResponse<V1Deployment> created = deployments.create(d);
    assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
    V1Deployment read = new AppsV1Api(client).readNamespacedDeployment("generic", "default").execute();
    assertThat(read.getSpec().getReplicas()).isEqualTo(1);
    assertThat(read.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(read.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(new AppsV1Api(client).readNamespacedDeploymentScale("generic", "default").execute().getSpec().getReplicas())
        .isEqualTo(1);
    assertThat(deployments.delete("default", "generic").isSuccess()).isTrue();
  }
}
