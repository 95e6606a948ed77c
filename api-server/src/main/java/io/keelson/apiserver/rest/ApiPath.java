package io.keelson.apiserver.rest;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A parsed resource URL: {@code /api/v1/namespaces/ns/pods/name/status} and its relatives. Path
 * segments are checked strictly so that names can never smuggle "..", slashes or key separators
 * into etcd keys.
 *
 * @param type the resource addressed
 * @param namespace null for cluster-scoped resources or all-namespaces lists
 * @param name null for collections
 * @param subresource null, "status", "scale", "binding", ...
 */
public record ApiPath(ResourceType type, String namespace, String name, String subresource) {

  private static final Pattern SEGMENT = Pattern.compile("^[A-Za-z0-9]([-A-Za-z0-9_.:]{0,251}[A-Za-z0-9])?$");

  public boolean isCollection() {
    return name == null;
  }

  /**
   * Parse the path after the group-version prefix. {@code rest} is e.g. "namespaces/ns/pods/x/status".
   * Special case: a POST to {@code namespaces/ns/bindings} is the legacy binding collection.
   */
  public static ApiPath parse(String group, String version, String rest) {
    String[] s = rest.isEmpty() ? new String[0] : rest.split("/", -1);
    for (String seg : s) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.contains("%") || seg.contains("\\")) {
        throw StatusException.notFound("the server could not find the requested resource (invalid path segment \"" + seg + "\")");
      }
    }
    if (s.length == 0) throw StatusException.notFound("the server could not find the requested resource");
    if (s[0].equals("namespaces") && s.length >= 3 && find(group, version, s[2]).isPresent()) {
      ResourceType t = find(group, version, s[2]).get();
      if (!t.namespaced()) throw StatusException.notFound("the server could not find the requested resource");
      String ns = checkName(s[1]);
      return switch (s.length) {
        case 3 -> new ApiPath(t, ns, null, null);
        case 4 -> new ApiPath(t, ns, checkName(s[3]), null);
        case 5 -> new ApiPath(t, ns, checkName(s[3]), sub(t, s[4]));
        default -> throw StatusException.notFound("the server could not find the requested resource");
      };
    }
    if (s[0].equals("namespaces") && s.length == 3 && group.isEmpty() && s[2].equals("bindings")) {
      // legacy POST /api/v1/namespaces/{ns}/bindings
      return new ApiPath(find("", "v1", "pods").orElseThrow(), checkName(s[1]), null, "binding");
    }
    // namespaces/NS/R of an R this group/version does not serve (kubectl autoscale, create job) names R, not "namespaces"
    String wanted = s[0].equals("namespaces") && s.length >= 3 && !(group.isEmpty() && version.equals("v1")) ? s[2] : s[0];
    ResourceType t = find(group, version, wanted).orElseThrow(() -> StatusException.notFound(
        "the server could not find the requested resource (" + wanted + (group.isEmpty() ? "" : "." + group) + "/" + version
            + " is not served)"));
    return switch (s.length) {
      case 1 -> new ApiPath(t, null, null, null);
      case 2 -> {
        if (t.namespaced()) throw StatusException.notFound("the server could not find the requested resource");
        yield new ApiPath(t, null, checkName(s[1]), null);
      }
      case 3 -> {
        if (t.namespaced()) throw StatusException.notFound("the server could not find the requested resource");
        yield new ApiPath(t, null, checkName(s[1]), sub(t, s[2]));
      }
      default -> throw StatusException.notFound("the server could not find the requested resource");
    };
  }

  private static Optional<ResourceType> find(String group, String version, String resource) {
    return ResourceRegistry.find(group, version, resource);
  }

  private static String sub(ResourceType t, String s) {
    if (!t.hasSubresource(s)) {
      throw StatusException.notFound("the server could not find the requested resource (" + t.resource() + "/" + s + ")");
    }
    return s;
  }

  private static String checkName(String n) {
    if (!SEGMENT.matcher(n).matches()) {
      throw StatusException.notFound("the server could not find the requested resource (invalid name \"" + n + "\")");
    }
    return n;
  }
}
