package io.keelson.apiserver.admission;

import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validation of the networking.k8s.io/v1 Ingress and IngressClass, as kube's
 * pkg/apis/networking/validation says: an Ingress needs a default backend or rules, every HTTP path
 * a pathType (Exact and Prefix paths absolute) and one backend, a Service backend a name and a port
 * name or number; an IngressClass names its controller, which never changes. Keelson stores them for
 * charts and ingress controllers that run as pods; it runs no ingress controller of its own.
 */
final class IngressObjects {

  static final String GROUP = "networking.k8s.io";
  private static final List<String> PATH_TYPES = List.of("Exact", "ImplementationSpecific", "Prefix");
  private static final List<String> INVALID_PATH_SEQUENCES = List.of("//", "/./", "/../", "%2f", "%2F");
  private static final List<String> INVALID_PATH_SUFFIXES = List.of("/..", "/.");

  private IngressObjects() {}

  static void ingress(ObjectNode ingress, FieldErrors errs) {
    JsonNode spec = ingress.path("spec");
    JsonNode rules = spec.path("rules");
    boolean hasDefault = spec.path("defaultBackend").isObject();
    if (rules.isEmpty() && !hasDefault) {
      // kube prints the rules as JSON: null when absent
      errs.invalid("spec", rules.isArray() ? rules : tools.jackson.databind.node.NullNode.getInstance(),
          "either `defaultBackend` or `rules` must be specified");
    }
    if (hasDefault) backend(spec.path("defaultBackend"), "spec.defaultBackend", errs);
    int i = 0;
    for (JsonNode rule : rules) {
      String at = "spec.rules[" + i++ + "]";
      String host = rule.path("host").asString("");
      if (!host.isEmpty()) {
        if (host.matches("[0-9.]+|.*:.*")) errs.invalid(at + ".host", host, "must be a DNS name, not an IP address");
        // a wildcard host is "*." before a subdomain
        for (String msg : Names.dns1123Subdomain(host.startsWith("*.") ? host.substring(2) : host)) errs.invalid(at + ".host", host, msg);
      }
      JsonNode http = rule.path("http");
      if (!http.isObject()) continue;
      if (http.path("paths").isEmpty()) errs.required(at + ".http.paths");
      int j = 0;
      for (JsonNode path : http.path("paths")) httpPath(path, at + ".http.paths[" + j++ + "]", errs);
    }
    String className = spec.path("ingressClassName").asString(null);
    if (className != null) for (String msg : Names.dns1123Subdomain(className)) errs.invalid("spec.ingressClassName", className, msg);
  }

  private static void httpPath(JsonNode path, String at, FieldErrors errs) {
    String type = path.path("pathType").asString(null);
    if (type == null) {
      errs.required(at + ".pathType", "pathType must be specified");
      return;
    }
    String p = path.path("path").asString("");
    switch (type) {
      case "Exact", "Prefix" -> {
        if (!p.startsWith("/")) errs.invalid(at + ".path", p, "must be an absolute path");
        for (String seq : INVALID_PATH_SEQUENCES) if (p.contains(seq)) errs.invalid(at + ".path", p, "must not contain '" + seq + "'");
        for (String suffix : INVALID_PATH_SUFFIXES) if (p.endsWith(suffix)) errs.invalid(at + ".path", p, "cannot end with '" + suffix + "'");
      }
      case "ImplementationSpecific" -> {
        if (!p.isEmpty() && !p.startsWith("/")) errs.invalid(at + ".path", p, "must be an absolute path");
      }
      default -> errs.notSupported(at + ".pathType", type, PATH_TYPES);
    }
    backend(path.path("backend"), at + ".backend", errs);
  }

  private static void backend(JsonNode backend, String at, FieldErrors errs) {
    boolean resource = backend.path("resource").isObject();
    JsonNode service = backend.path("service");
    if (resource && service.isObject()) {
      errs.invalid(at, "", "cannot set both resource and service backends");
    } else if (resource) {
      JsonNode ref = backend.path("resource");
      if (ref.path("kind").asString("").isEmpty()) errs.required(at + ".resource.kind");
      if (ref.path("name").asString("").isEmpty()) errs.required(at + ".resource.name");
    } else if (service.isObject()) {
      String name = service.path("name").asString("");
      if (name.isEmpty()) errs.required(at + ".service.name");
      else for (String msg : Names.dns1035Label(name)) errs.invalid(at + ".service.name", name, msg);
      String portName = service.path("port").path("name").asString("");
      int number = service.path("port").path("number").asInt(0);
      if (!portName.isEmpty() && number != 0) {
        errs.invalid(at, "", "cannot set both port name & port number");
      } else if (!portName.isEmpty()) {
        for (String msg : Names.portName(portName)) errs.invalid(at + ".service.port.name", portName, msg);
      } else if (number != 0) {
        if (number < 1 || number > 65535) errs.invalid(at + ".service.port.number", number, "must be between 1 and 65535, inclusive");
      } else {
        errs.required(at, "port name or number is required");
      }
    } else {
      errs.invalid(at, "", "resource or service backend is required");
    }
  }

  static void ingressClass(ObjectNode ingressClass, ObjectNode old, FieldErrors errs) {
    String controller = ingressClass.path("spec").path("controller").asString("");
    if (controller.isEmpty()) errs.required("spec.controller");
    else if (controller.length() > 250) errs.tooLong("spec.controller", 250);
    if (old != null && !Objects.equals(old.path("spec").path("controller"), ingressClass.path("spec").path("controller"))) {
      errs.invalid("spec.controller", controller, "field is immutable");
    }
  }
}
