package io.keelson.apiserver.proxy;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.streaming.PodAgents;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * The {@code proxy} subresources of pods and services (what {@code kubectl proxy}, dashboards and
 * {@code kubectl get --raw .../services/web:80/proxy/metrics} use): any method and path after
 * {@code /proxy} is sent to the pod's port — for a service, to a ready pod behind the named service
 * port, picked at random from its Endpoints as kube does — and the pod's answer comes back as is.
 */
@RestController
public class ProxyController {
  private final ResourceService resources;
  private final PodAgents agents;
  private final ResourceType pods = ResourceRegistry.find("", "v1", "pods").orElseThrow();

  public ProxyController(ResourceService resources, PodAgents agents) {
    this.resources = resources;
    this.agents = agents;
  }

  @RequestMapping({"/api/v1/namespaces/{namespace}/pods/{id}/proxy", "/api/v1/namespaces/{namespace}/pods/{id}/proxy/**"})
  public void pod(@PathVariable String namespace, @PathVariable String id, HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    try {
      ProxyTarget t = ProxyTarget.parse(id, "pod");
      PodAgents.Target target = agents.locate(namespace, t.name(), null);
      int port = t.port().isEmpty() ? firstContainerPort(target.pod()) : number(t.port(), "pod port");
      PodHttpExchange.proxy(target, port, t.tls(), upstreamPath(req), req, resp);
    } catch (StatusException e) {
      Responses.status(resp, e);
    }
  }

  @RequestMapping({"/api/v1/namespaces/{namespace}/services/{id}/proxy", "/api/v1/namespaces/{namespace}/services/{id}/proxy/**"})
  public void service(@PathVariable String namespace, @PathVariable String id, HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    try {
      ProxyTarget t = ProxyTarget.parse(id, "service");
      ServiceBackends.Backend b = backendOf(namespace, t);
      PodHttpExchange.proxy(agents.locate(namespace, b.pod(), null), b.port(), t.tls(), upstreamPath(req), req, resp);
    } catch (StatusException e) {
      Responses.status(resp, e);
    }
  }

  /** A ready pod behind the service port {@code t.port()} (see {@link ServiceBackends}): the proxy reaches pods through their agents. */
  ServiceBackends.Backend backendOf(String namespace, ProxyTarget t) {
    return ServiceBackends.pick(resources, namespace, t.name(), t.port(), b -> b.pod() != null);
  }

  /** Without a port in the URL, kube proxies to the first port a container declares, else 80. */
  private static int firstContainerPort(JsonNode pod) {
    for (JsonNode c : pod.path("spec").path("containers")) {
      for (JsonNode p : c.path("ports")) {
        if (p.path("containerPort").asInt() > 0) return p.path("containerPort").asInt();
      }
    }
    return 80;
  }

  private static int number(String port, String what) {
    try {
      int n = Integer.parseInt(port);
      if (n >= 1 && n <= 65535) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw StatusException.badRequest("invalid " + what + " \"" + port + "\": must be a number between 1 and 65535");
  }

  /** The path after {@code /proxy}, still percent-encoded as the client sent it; "/" when there is none. */
  static String upstreamPath(HttpServletRequest req) {
    String rest = proxyRest(req.getRequestURI());
    return rest.isEmpty() ? "/" : rest;
  }

  /** What follows the {@code proxy} segment (the sixth of /api/v1/namespaces/NS/KIND/ID/proxy...). */
  static String proxyRest(String uri) {
    int slashes = 0;
    for (int i = 0; i < uri.length(); i++) {
      if (uri.charAt(i) == '/' && ++slashes == 7) {
        int end = uri.indexOf('/', i + 1);
        return end < 0 ? "" : uri.substring(end);
      }
    }
    return "";
  }
}
