package io.keelson.apiserver.proxy;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The ready endpoints behind a port of a Service, from its Endpoints, as kube-apiserver picks one
 * for the service proxy and for admission webhooks named by a Service.
 */
public final class ServiceBackends {
  private static final ResourceType SERVICES = ResourceRegistry.find("", "v1", "services").orElseThrow();
  private static final ResourceType ENDPOINTS = ResourceRegistry.find("", "v1", "endpoints").orElseThrow();

  /** One ready address: the pod it is (null when the address names none), its IP and the pod port. */
  public record Backend(String pod, String ip, int port) {}

  private ServiceBackends() {}

  /**
   * A backend behind the service port {@code port} (its name, its number, or empty for the
   * service's one unnamed port), picked at random among those {@code usable} accepts.
   *
   * @throws StatusException 404 when the service is missing, 503 when no usable endpoint is ready
   */
  public static Backend pick(ResourceService resources, String namespace, String service, String port, Predicate<Backend> usable) {
    String portName = port;
    if (!portName.isEmpty() && portName.chars().allMatch(Character::isDigit)) {
      ObjectNode svc = resources.get(SERVICES, namespace, service);
      portName = null;
      for (JsonNode p : svc.path("spec").path("ports")) {
        if (Integer.toString(p.path("port").asInt()).equals(port)) {
          portName = p.path("name").asString("");
          break;
        }
      }
      if (portName == null) {
        throw StatusException.unavailable("no service port " + port + " found for service \"" + service + "\"");
      }
    }
    ObjectNode eps;
    try {
      eps = resources.get(ENDPOINTS, namespace, service);
    } catch (StatusException e) {
      if (e.code() != 404) throw e;
      resources.get(SERVICES, namespace, service); // a missing service is NotFound, not "no endpoints"
      throw noEndpoints(service);
    }
    List<Backend> ready = new ArrayList<>();
    for (JsonNode subset : eps.path("subsets")) {
      for (JsonNode p : subset.path("ports")) {
        if (!p.path("name").asString("").equals(portName)) continue;
        for (JsonNode a : subset.path("addresses")) {
          JsonNode ref = a.path("targetRef");
          String pod = ref.path("kind").asString("").equals("Pod") ? ref.path("name").asString() : null;
          Backend b = new Backend(pod, a.path("ip").asString(""), p.path("port").asInt());
          if (usable.test(b)) ready.add(b);
        }
      }
    }
    if (ready.isEmpty()) throw noEndpoints(service);
    return ready.get(ThreadLocalRandom.current().nextInt(ready.size()));
  }

  private static StatusException noEndpoints(String service) {
    return StatusException.unavailable("no endpoints available for service \"" + service + "\"");
  }
}
