package io.keelson.apiserver.health;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.rest.ApiPath;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * core/v1 {@code componentstatuses} ({@code kubectl get cs}), deprecated in Kubernetes but still the
 * first health check many tutorials teach. Computed on request, never stored: etcd from a ping, the
 * scheduler and the controller-manager from their leader-election leases (healthy when some replica
 * renewed its lease within the lease's duration), where kube-apiserver would probe their ports.
 */
@Component
public class ComponentStatuses {

  static final String DEPRECATION = "299 - \"v1 ComponentStatus is deprecated in v1.19+\"";
  /** component name → the lease its leader renews in kube-system. */
  private static final List<String[]> LEADERS =
      List.of(new String[] {"scheduler", "keelson-scheduler"}, new String[] {"controller-manager", "keelson-controller-manager"});

  private final ResourceService resources;
  private final ResourceType leases = ResourceRegistry.find("coordination.k8s.io", "v1", "leases").orElseThrow();

  public ComponentStatuses(ResourceService resources) {
    this.resources = resources;
  }

  public static boolean serves(ResourceType t) {
    return t.group().isEmpty() && t.resource().equals("componentstatuses");
  }

  /** Serves get and list; returns the HTTP code written. */
  public int handle(ApiPath p, HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Responses.requireRead(p, req, "v1 ComponentStatus");
    List<ObjectNode> items = new ArrayList<>();
    Instant now = Instant.now();
    for (String[] c : LEADERS) {
      if (p.name() == null || p.name().equals(c[0])) items.add(status(c[0], leaderProblem(c[1], now)));
    }
    if (p.name() == null || p.name().equals("etcd-0")) items.add(status("etcd-0", HealthController.etcdProblem(resources)));
    if (p.name() != null && items.isEmpty()) throw StatusException.notFound(p.type(), p.name());
    resp.addHeader("Warning", DEPRECATION);
    return Responses.computed(req, resp, p.type(), items, p.name() == null);
  }

  private String leaderProblem(String lease, Instant now) {
    ObjectNode l = resources.cached(leases, "kube-system", lease);
    return leaseProblem(l == null ? null : l.path("spec"), lease, now);
  }

  /** Null when the lease was renewed within its duration; else what is wrong, for the ERROR column. */
  static String leaseProblem(JsonNode spec, String lease, Instant now) {
    String where = "lease kube-system/" + lease;
    if (spec == null || spec.path("holderIdentity").asString("").isEmpty()) return "no replica holds its " + where;
    long duration = spec.path("leaseDurationSeconds").asLong(15);
    try {
      Instant renewed = Instant.parse(spec.path("renewTime").asString(""));
      long ago = Duration.between(renewed, now).toSeconds();
      return ago <= duration ? null : "its " + where + " was last renewed " + ago + "s ago (by " + spec.path("holderIdentity").asString() + ")";
    } catch (DateTimeParseException e) {
      return "its " + where + " has no renewTime";
    }
  }

  static ObjectNode status(String name, String problem) {
    ObjectNode o = ObjectCodec.JSON.createObjectNode();
    o.put("kind", "ComponentStatus");
    o.put("apiVersion", "v1");
    o.putObject("metadata").put("name", name);
    ObjectNode c = o.putArray("conditions").addObject();
    c.put("type", "Healthy");
    c.put("status", problem == null ? "True" : "False");
    if (problem == null) c.put("message", "ok");
    else c.put("error", problem);
    return o;
  }
}
