package io.keelson.agent.service;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment variables through which a pod finds Services (kubelet's pkg/kubelet/envvars):
 * for every Service with a ClusterIP in the pod's namespace (with {@code enableServiceLinks}, the
 * default) and always for {@code kubernetes} in {@code default}, {@code <NAME>_SERVICE_HOST},
 * {@code <NAME>_SERVICE_PORT[_<PORT>]} and the Docker-link style {@code <NAME>_PORT...} variables.
 */
public final class ServiceEnvironment {
  /** The API server's Service, whose variables every pod gets. */
  static final String MASTER_SERVICE = "kubernetes";

  private ServiceEnvironment() {}

  public static Map<String, String> of(ServiceCatalog.Snapshot snapshot, String namespace, boolean enableServiceLinks) {
    // by name: a Service in the pod's namespace replaces default/kubernetes of the same name
    Map<String, Service> byName = new TreeMap<>();
    for (Service s : snapshot.services().values()) {
      if (!hasClusterIp(s)) {
        continue;
      }
      String ns = s.getMetadata().getNamespace();
      String name = s.getMetadata().getName();
      if (ns.equals("default") && name.equals(MASTER_SERVICE)) {
        byName.putIfAbsent(name, s);
      } else if (ns.equals(namespace) && enableServiceLinks) {
        byName.put(name, s);
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    byName.values().forEach(s -> add(env, s));
    return env;
  }

  private static boolean hasClusterIp(Service s) {
    String ip = s.getSpec() == null ? null : s.getSpec().getClusterIP();
    return ip != null && !ip.isEmpty() && !ip.equals("None")
        && s.getSpec().getPorts() != null && !s.getSpec().getPorts().isEmpty();
  }

  private static void add(Map<String, String> env, Service s) {
    String prefix = variableName(s.getMetadata().getName());
    String ip = s.getSpec().getClusterIP();
    List<ServicePort> ports = s.getSpec().getPorts();
    env.put(prefix + "_SERVICE_HOST", ip);
    env.put(prefix + "_SERVICE_PORT", String.valueOf(ports.get(0).getPort()));
    for (ServicePort p : ports) {
      if (p.getName() != null && !p.getName().isEmpty()) {
        env.put(prefix + "_SERVICE_PORT_" + variableName(p.getName()), String.valueOf(p.getPort()));
      }
    }
    for (int i = 0; i < ports.size(); i++) {
      ServicePort p = ports.get(i);
      String proto = p.getProtocol() == null || p.getProtocol().isEmpty() ? "TCP" : p.getProtocol().toUpperCase(Locale.ROOT);
      String hostPort = (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + p.getPort();
      String url = proto.toLowerCase(Locale.ROOT) + "://" + hostPort;
      if (i == 0) {
        env.put(prefix + "_PORT", url); // Docker special-cases the first port
      }
      String portPrefix = prefix + "_PORT_" + p.getPort() + "_" + proto;
      env.put(portPrefix, url);
      env.put(portPrefix + "_PROTO", proto.toLowerCase(Locale.ROOT));
      env.put(portPrefix + "_PORT", String.valueOf(p.getPort()));
      env.put(portPrefix + "_ADDR", ip);
    }
  }

  /** "my-svc" → "MY_SVC". */
  static String variableName(String name) {
    return name.toUpperCase(Locale.ROOT).replace('-', '_');
  }
}
