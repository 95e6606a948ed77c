package io.keelson.cli.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** One served resource type: where it lives in the REST API and how users name it. */
public record ResourceKind(
    String group, String version, String plural, String kind, boolean namespaced) {

  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** kubectl's "type name" as printed by `-o name` and apply: {@code deployment.apps}, {@code pod}. */
  public String qualifiedName() {
    String k = kind.toLowerCase();
    return group.isEmpty() ? k : k + "." + group;
  }

  /** kubectl's plural with group, used in delete messages: {@code deployments.apps}. */
  public String qualifiedPlural() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /** The collection path, e.g. /apis/apps/v1/namespaces/default/deployments ; ns null = all. */
  public String collectionPath(String namespace) {
    String base = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (namespaced && namespace != null) {
      base += "/namespaces/" + enc(namespace);
    }
    return base + "/" + plural;
  }

  public String objectPath(String namespace, String name) {
    return collectionPath(namespaced ? namespace : null) + "/" + enc(name);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
