package io.keelson.apiserver.auth.node;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * The Secrets, ConfigMaps and PersistentVolumeClaims a pod names (kube's podutil.VisitPodSecretNames
 * and friends): what the node the pod is bound to needs to read to run it.
 */
public final class PodReferences {

  private PodReferences() {}

  public static Set<String> secrets(JsonNode pod) {
    Set<String> out = new LinkedHashSet<>();
    JsonNode spec = pod.path("spec");
    for (JsonNode s : spec.path("imagePullSecrets")) add(out, s.path("name"));
    for (JsonNode v : spec.path("volumes")) {
      add(out, v.path("secret").path("secretName"));
      for (JsonNode src : v.path("projected").path("sources")) add(out, src.path("secret").path("name"));
      for (String driver : new String[] {"csi", "cephfs", "rbd", "flexVolume", "iscsi", "scaleIO", "storageos", "azureFile"}) {
        add(out, v.path(driver).path(driver.equals("csi") ? "nodePublishSecretRef" : "secretRef").path("name"));
      }
      add(out, v.path("azureFile").path("secretName"));
    }
    containers(spec, c -> {
      for (JsonNode e : c.path("env")) add(out, e.path("valueFrom").path("secretKeyRef").path("name"));
      for (JsonNode e : c.path("envFrom")) add(out, e.path("secretRef").path("name"));
    });
    return out;
  }

  public static Set<String> configMaps(JsonNode pod) {
    Set<String> out = new LinkedHashSet<>();
    JsonNode spec = pod.path("spec");
    for (JsonNode v : spec.path("volumes")) {
      add(out, v.path("configMap").path("name"));
      for (JsonNode src : v.path("projected").path("sources")) add(out, src.path("configMap").path("name"));
    }
    containers(spec, c -> {
      for (JsonNode e : c.path("env")) add(out, e.path("valueFrom").path("configMapKeyRef").path("name"));
      for (JsonNode e : c.path("envFrom")) add(out, e.path("configMapRef").path("name"));
    });
    return out;
  }

  /** Claims of persistentVolumeClaim volumes and of generic ephemeral volumes ({@code <pod>-<volume>}). */
  public static Set<String> claims(JsonNode pod) {
    Set<String> out = new LinkedHashSet<>();
    String podName = pod.path("metadata").path("name").asString("");
    for (JsonNode v : pod.path("spec").path("volumes")) {
      add(out, v.path("persistentVolumeClaim").path("claimName"));
      if (v.has("ephemeral")) out.add(podName + "-" + v.path("name").asString(""));
    }
    return out;
  }

  /** The pod's service account ({@code default} when unset). */
  public static String serviceAccount(JsonNode pod) {
    String sa = pod.path("spec").path("serviceAccountName").asString("");
    return sa.isEmpty() ? "default" : sa;
  }

  private static void containers(JsonNode spec, Consumer<JsonNode> each) {
    for (String list : new String[] {"initContainers", "containers", "ephemeralContainers"}) {
      for (JsonNode c : spec.path(list)) each.accept(c);
    }
  }

  private static void add(Set<String> out, JsonNode name) {
    String s = name.asString("");
    if (!s.isEmpty()) out.add(s);
  }
}
