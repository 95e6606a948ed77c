package io.keelson.apiserver.auth;

import java.util.Locale;
import java.util.Set;

/**
 * What a request asks to do, derived from its method, path and query as kube's RequestInfoFactory
 * does: {@code /api/v1/...} and {@code /apis/GROUP/VERSION/...} are resource requests (verb from the
 * method; a GET of a collection is list, or watch with {@code watch=true}; a DELETE of one is
 * deletecollection; {@code /proxy/} and {@code /watch/} prefixes are verbs), everything else is a
 * non-resource URL whose verb is the lower-cased method.
 */
public final class RequestAttributes {

  private static final Set<String> SPECIAL_VERBS = Set.of("proxy", "watch");
  private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");

  private RequestAttributes() {}

  /**
   * @param watchParam the {@code watch} query parameter (null when absent)
   * @param fieldSelector the {@code fieldSelector} query parameter: {@code metadata.name=x} names a list's object
   */
  public static Authorizer.Attributes of(String method, String path, String watchParam, String fieldSelector) {
    String[] parts = split(path);
    String verb = method.toLowerCase(Locale.ROOT);
    if (parts.length < 3 || !(parts[0].equals("api") || parts[0].equals("apis"))) return nonResource(verb, path);
    int at = 1;
    String group = "";
    if (parts[0].equals("apis")) {
      if (parts.length < 4) return nonResource(verb, path);
      group = parts[at++];
    }
    at++; // the version
    boolean viaMethod = true;
    if (SPECIAL_VERBS.contains(parts[at])) {
      if (parts.length < at + 2) return nonResource(verb, path);
      verb = parts[at++];
      viaMethod = false;
    } else {
      verb = switch (method) {
        case "POST" -> "create";
        case "GET", "HEAD" -> "get";
        case "PUT" -> "update";
        case "PATCH" -> "patch";
        case "DELETE" -> "delete";
        default -> "";
      };
    }
    String namespace = "";
    if (parts[at].equals("namespaces")) {
      if (parts.length > at + 1) {
        namespace = parts[at + 1];
        if (parts.length > at + 2 && !NAMESPACE_SUBRESOURCES.contains(parts[at + 2])) at += 2;
      }
    }
    int n = parts.length - at;
    String resource = parts[at];
    String name = n >= 2 ? parts[at + 1] : "";
    String subresource = n >= 3 && !verb.equals("proxy") ? parts[at + 2] : "";
    if (name.isEmpty() && viaMethod && verb.equals("get")) {
      verb = "true".equals(watchParam) || "1".equals(watchParam) ? "watch" : "list";
      String named = nameSelected(fieldSelector);
      if (named != null) name = named;
    }
    if (name.isEmpty() && verb.equals("delete")) verb = "deletecollection";
    return new Authorizer.Attributes(verb, group, resource, subresource, namespace, name, null);
  }

  private static Authorizer.Attributes nonResource(String verb, String path) {
    return new Authorizer.Attributes(verb, null, null, null, null, null, path);
  }

  /** {@code metadata.name=x} (or {@code ==}) alone in a field selector: a list or watch of one object. */
  private static String nameSelected(String fieldSelector) {
    if (fieldSelector == null || fieldSelector.contains(",")) return null;
    for (String op : new String[] {"==", "="}) {
      String prefix = "metadata.name" + op;
      if (fieldSelector.startsWith(prefix)) {
        String name = fieldSelector.substring(prefix.length());
        return name.isEmpty() || name.contains("/") || name.contains("%") || name.equals(".") || name.equals("..") ? null : name;
      }
    }
    return null;
  }

  private static String[] split(String path) {
    String p = path;
    while (p.startsWith("/")) p = p.substring(1);
    while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
    return p.isEmpty() ? new String[0] : p.split("/");
  }

  /**
   * kube's Forbidden message for a denied request (responsewriters.forbiddenMessage inside
   * errors.NewForbidden): {@code pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "default"}.
   */
  public static String forbiddenMessage(String username, Authorizer.Attributes a, String reason) {
    String msg;
    String prefix;
    if (!a.resourceRequest()) {
      msg = "User \"" + username + "\" cannot " + a.verb() + " path \"" + a.path() + "\"";
      prefix = "forbidden: ";
    } else {
      String resource = a.subresource() == null || a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
      String where = a.namespace() == null || a.namespace().isEmpty()
          ? "at the cluster scope" : "in the namespace \"" + a.namespace() + "\"";
      msg = "User \"" + username + "\" cannot " + a.verb() + " resource \"" + resource + "\" in API group \"" + nz(a.group()) + "\" " + where;
      String qualified = nz(a.group()).isEmpty() ? a.resource() : a.resource() + "." + a.group();
      prefix = qualified.isEmpty() ? "forbidden: "
          : a.name() == null || a.name().isEmpty() ? qualified + " is forbidden: " : qualified + " \"" + a.name() + "\" is forbidden: ";
    }
    return prefix + msg + (reason == null || reason.isEmpty() ? "" : ": " + reason);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
