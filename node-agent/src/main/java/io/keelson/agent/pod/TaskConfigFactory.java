package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.TaskConfig;
import io.keelson.agent.driver.TaskConfig.TaskMount;
import io.keelson.agent.driver.TaskConfig.TaskResources;
import io.keelson.agent.driver.TaskConfig.TaskUser;
import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.service.ServiceEnvironment;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a container of a pod spec into a fully resolved {@link TaskConfig}: the Kubernetes
 * command/args rules against the image's ENTRYPOINT/CMD, env (image ENV, envFrom, env with
 * ConfigMap/Secret/downward API values and $(VAR) expansion), user, mounts and resources. Missing
 * referenced objects are a CreateContainerConfigError, as in the kubelet.
 */
public final class TaskConfigFactory {
  private static final Pattern ONE_LABEL_OR_ANNOTATION = Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]");
  private static final Pattern VAR_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)|\\$\\$");
  private static final String CONFIG_ERROR = "CreateContainerConfigError";
  private static final java.time.Duration SERVICES_SYNC_WAIT = java.time.Duration.ofSeconds(5);

  private final ClusterObjects objects;

  public TaskConfigFactory(ClusterObjects objects) {
    this.objects = objects;
  }

  /** Everything about the pod the env and mounts need besides the spec. */
  public record PodContext(
      Pod pod, String nodeName, String podIp, String hostIp, String hostname, Map<String, Path> volumes,
      Path etcHosts, Path resolvConf, Path etcHostname) {}

  public TaskConfig build(
      PodContext ctx,
      Container c,
      ImageProvider.ResolvedImage image,
      String taskId,
      String sandboxId,
      Path logPath)
      throws DriverException {
    Map<String, String> env = env(ctx, c, image);
    List<String> argv = command(c, image, env);
    if (argv.isEmpty() && "disk".equals(ctx.pod().getMetadata().getAnnotations() == null ? null
        : ctx.pod().getMetadata().getAnnotations().get("vm.keelson.io/boot"))) {
      argv = List.of("/disk"); // a Full VM's image is its disk (no command); the qemu driver boots it
    }
    if (argv.isEmpty()) {
      throw new DriverException(CONFIG_ERROR, "no command specified", null);
    }
    String wd = c.getWorkingDir() != null && !c.getWorkingDir().isEmpty()
        ? c.getWorkingDir()
        : (image.workingDir() == null || image.workingDir().isEmpty() ? "/" : image.workingDir());
    boolean readOnlyRoot =
        c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem());
    return new TaskConfig(
        taskId,
        sandboxId,
        c.getName(),
        image.image(),
        argv,
        env,
        wd,
        user(ctx.pod(), c, image.user()),
        mounts(ctx, c),
        readOnlyRoot,
        resources(c),
        Boolean.TRUE.equals(c.getTty()),
        Boolean.TRUE.equals(c.getStdin()),
        Boolean.TRUE.equals(c.getStdinOnce()),
        logPath);
  }

  /** Kubernetes: command replaces ENTRYPOINT (and drops CMD), args replace CMD. */
  static List<String> command(Container c, ImageProvider.ResolvedImage image, Map<String, String> env) {
    List<String> argv = new ArrayList<>();
    boolean hasCommand = c.getCommand() != null && !c.getCommand().isEmpty();
    boolean hasArgs = c.getArgs() != null && !c.getArgs().isEmpty();
    if (hasCommand) {
      c.getCommand().forEach(s -> argv.add(expand(s, env)));
    } else if (image.entrypoint() != null) {
      argv.addAll(image.entrypoint());
    }
    if (hasArgs) {
      c.getArgs().forEach(s -> argv.add(expand(s, env)));
    } else if (!hasCommand && image.cmd() != null) {
      argv.addAll(image.cmd());
    }
    return argv;
  }

  Map<String, String> env(PodContext ctx, Container c, ImageProvider.ResolvedImage image) throws DriverException {
    Pod pod = ctx.pod();
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (image.env() != null) {
      for (String kv : image.env()) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
    }
    env.put("HOSTNAME", ctx.hostname());
    // before the container's own variables, which win and may refer to them, as in kubelet
    env.putAll(serviceEnv(pod));
    if (c.getEnvFrom() != null) {
      for (EnvFromSource from : c.getEnvFrom()) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        if (from.getConfigMapRef() != null) {
          ConfigMap cm = objects.configMap(ns, from.getConfigMapRef().getName());
          if (cm == null) {
            if (!Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
              throw new DriverException(
                  CONFIG_ERROR, "configmap \"" + from.getConfigMapRef().getName() + "\" not found", null);
            }
          } else if (cm.getData() != null) {
            cm.getData().forEach((k, v) -> env.put(prefix + k, v));
          }
        }
        if (from.getSecretRef() != null) {
          Secret s = objects.secret(ns, from.getSecretRef().getName());
          if (s == null) {
            if (!Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
              throw new DriverException(
                  CONFIG_ERROR, "secret \"" + from.getSecretRef().getName() + "\" not found", null);
            }
          } else {
            secretData(s).forEach((k, v) -> env.put(prefix + k, v));
          }
        }
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        env.put(e.getName(), value(ctx, c, e, env));
      }
    }
    return env;
  }

  /** The Service variables of the pod's namespace; none when the node does not watch Services (hollow nodes). */
  private Map<String, String> serviceEnv(Pod pod) throws DriverException {
    ServiceCatalog catalog = objects.services();
    if (catalog == null) {
      return Map.of();
    }
    // a container started right after the agent would otherwise miss variables: wait a little for
    // the first list, then fail as kubelet does (the container is retried)
    long deadline = System.nanoTime() + SERVICES_SYNC_WAIT.toNanos();
    while (!catalog.synced()) {
      if (System.nanoTime() > deadline) {
        throw new DriverException(CONFIG_ERROR, "services have not yet been read at least once, cannot construct envvars", null);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DriverException(CONFIG_ERROR, "interrupted while waiting for services", e);
      }
    }
    return ServiceEnvironment.of(catalog.snapshot(), pod.getMetadata().getNamespace(),
        !Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks()));
  }

  private String value(PodContext ctx, Container c, EnvVar e, Map<String, String> env) throws DriverException {
    if (e.getValueFrom() == null) {
      return e.getValue() == null ? "" : expand(e.getValue(), env);
    }
    Pod pod = ctx.pod();
    String ns = pod.getMetadata().getNamespace();
    var from = e.getValueFrom();
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      ConfigMap cm = objects.configMap(ns, ref.getName());
      boolean optional = Boolean.TRUE.equals(ref.getOptional());
      if (cm == null) {
        if (optional) {
          return "";
        }
        throw new DriverException(CONFIG_ERROR, "configmap \"" + ref.getName() + "\" not found", null);
      }
      String v = cm.getData() == null ? null : cm.getData().get(ref.getKey());
      if (v == null && !optional) {
        throw new DriverException(
            CONFIG_ERROR, "couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName(), null);
      }
      return v == null ? "" : v;
    }
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Secret s = objects.secret(ns, ref.getName());
      boolean optional = Boolean.TRUE.equals(ref.getOptional());
      if (s == null) {
        if (optional) {
          return "";
        }
        throw new DriverException(CONFIG_ERROR, "secret \"" + ref.getName() + "\" not found", null);
      }
      String v = secretData(s).get(ref.getKey());
      if (v == null && !optional) {
        throw new DriverException(
            CONFIG_ERROR, "couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName(), null);
      }
      return v == null ? "" : v;
    }
    if (from.getFieldRef() != null) {
      return field(ctx, from.getFieldRef().getFieldPath());
    }
    if (from.getResourceFieldRef() != null) {
      var ref = from.getResourceFieldRef();
      String target = ref.getContainerName() == null || ref.getContainerName().isEmpty() ? c.getName() : ref.getContainerName();
      Container rc = c;
      for (Container other : pod.getSpec().getContainers()) {
        if (other.getName().equals(target)) {
          rc = other;
        }
      }
      return resourceField(rc, ref.getResource(), ref.getDivisor());
    }
    return "";
  }

  static Map<String, String> secretData(Secret s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (s.getStringData() != null) {
      out.putAll(s.getStringData());
    }
    return out;
  }

  private static String field(PodContext ctx, String path) throws DriverException {
    Pod pod = ctx.pod();
    String metadata = metadataField(pod, path);
    if (metadata != null) {
      return metadata;
    }
    return switch (path) {
      case "spec.nodeName" -> ctx.nodeName();
      case "spec.serviceAccountName" ->
          pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
      case "status.podIP", "status.podIPs" -> ctx.podIp() == null ? "" : ctx.podIp();
      case "status.hostIP", "status.hostIPs" -> ctx.hostIp();
      default -> throw new DriverException(CONFIG_ERROR, "unsupported fieldRef " + path, null);
    };
  }

  /**
   * The pod metadata the downward API exposes in env vars and volume files alike (name, namespace,
   * uid, one label or annotation); null when {@code path} is none of them.
   */
  public static String metadataField(Pod pod, String path) {
    var md = pod.getMetadata();
    Matcher m = ONE_LABEL_OR_ANNOTATION.matcher(path);
    if (m.matches()) {
      Map<String, String> map = m.group(1).equals("labels") ? md.getLabels() : md.getAnnotations();
      return map == null ? "" : map.getOrDefault(m.group(2), "");
    }
    return switch (path) {
      // the api-server sets all three on every pod it stores
      case "metadata.name" -> java.util.Objects.requireNonNullElse(md.getName(), "");
      case "metadata.namespace" -> java.util.Objects.requireNonNullElse(md.getNamespace(), "");
      case "metadata.uid" -> java.util.Objects.requireNonNullElse(md.getUid(), "");
      default -> null;
    };
  }

  /** A container's request or limit in units of {@code divisor} (env valueFrom and downwardAPI files). */
  public static String resourceField(Container c, String resource, Quantity divisor) {
    var res = c.getResources();
    Map<String, Quantity> limits = res == null || res.getLimits() == null ? Map.of() : res.getLimits();
    Map<String, Quantity> requests = res == null || res.getRequests() == null ? Map.of() : res.getRequests();
    String[] parts = resource.split("\\.", 2);
    Quantity q = (parts[0].equals("limits") ? limits : requests).get(parts[1]);
    if (q == null) {
      q = limits.get(parts[1]);
    }
    if (q == null) {
      return "0";
    }
    BigDecimal value = Quantity.getAmountInBytes(q);
    BigDecimal div = divisor == null ? BigDecimal.ONE : Quantity.getAmountInBytes(divisor);
    return value.divide(div, 0, java.math.RoundingMode.CEILING).toPlainString();
  }

  /** $(VAR) expands to a defined variable, $$ to $; undefined references stay as written. */
  static String expand(String s, Map<String, String> env) {
    if (s.indexOf('$') < 0) {
      return s;
    }
    Matcher m = VAR_REF.matcher(s);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String rep;
      if (m.group(1) == null) {
        rep = "$";
      } else {
        rep = env.getOrDefault(m.group(1), m.group());
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(rep));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  static TaskUser user(Pod pod, Container c, String imageUser) {
    Long uid = null;
    Long gid = null;
    var psc = pod.getSpec().getSecurityContext();
    if (psc != null) {
      uid = psc.getRunAsUser();
      gid = psc.getRunAsGroup();
    }
    var csc = c.getSecurityContext();
    if (csc != null) {
      if (csc.getRunAsUser() != null) {
        uid = csc.getRunAsUser();
      }
      if (csc.getRunAsGroup() != null) {
        gid = csc.getRunAsGroup();
      }
    }
    if (uid == null && imageUser != null && !imageUser.isEmpty()) {
      String[] parts = imageUser.split(":", 2);
      try {
        uid = Long.parseLong(parts[0]);
        if (gid == null && parts.length > 1) {
          gid = Long.parseLong(parts[1]);
        }
      } catch (NumberFormatException e) {
        // a user name: resolving it needs the image's /etc/passwd; run as root like an unknown user
      }
    }
    List<Long> groups = psc != null && psc.getSupplementalGroups() != null ? psc.getSupplementalGroups() : List.of();
    long u = uid == null ? 0 : uid;
    return new TaskUser(u, gid == null ? 0 : gid, groups);
  }

  static List<TaskMount> mounts(PodContext ctx, Container c) throws DriverException {
    List<TaskMount> mounts = new ArrayList<>();
    boolean hostsMounted = false;
    if (c.getVolumeMounts() != null) {
      for (VolumeMount vm : c.getVolumeMounts()) {
        Path host = ctx.volumes().get(vm.getName());
        if (host == null) {
          throw new DriverException(CONFIG_ERROR, "volume \"" + vm.getName() + "\" not found in the pod", null);
        }
        if (vm.getSubPath() != null && !vm.getSubPath().isEmpty()) {
          if (vm.getSubPath().contains("..")) {
            throw new DriverException(CONFIG_ERROR, "subPath must not contain '..'", null);
          }
          host = host.resolve(vm.getSubPath());
          try {
            java.nio.file.Files.createDirectories(host);
          } catch (java.io.IOException e) {
            throw new DriverException(CONFIG_ERROR, "creating subPath " + host + ": " + e.getMessage(), e);
          }
        }
        mounts.add(new TaskMount(host, vm.getMountPath(), Boolean.TRUE.equals(vm.getReadOnly()) || claimReadOnly(ctx.pod(), vm.getName())));
        hostsMounted |= vm.getMountPath().equals("/etc/hosts");
      }
    }
    if (!hostsMounted && ctx.etcHosts() != null) {
      mounts.add(new TaskMount(ctx.etcHosts(), "/etc/hosts", false));
    }
    if (ctx.etcHostname() != null) {
      mounts.add(new TaskMount(ctx.etcHostname(), "/etc/hostname", false));
    }
    if (ctx.resolvConf() != null) {
      mounts.add(new TaskMount(ctx.resolvConf(), "/etc/resolv.conf", false));
    }
    return mounts;
  }

  /** A persistentVolumeClaim volume with readOnly: true is read-only in every container that mounts it. */
  private static boolean claimReadOnly(Pod pod, String volumeName) {
    if (pod.getSpec().getVolumes() == null) {
      return false;
    }
    for (var v : pod.getSpec().getVolumes()) {
      if (v.getName().equals(volumeName) && v.getPersistentVolumeClaim() != null) {
        return Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly());
      }
    }
    return false;
  }

  public static TaskResources resources(Container c) {
    var r = c.getResources();
    if (r == null) {
      return TaskResources.NONE;
    }
    Map<String, Quantity> limits = r.getLimits() == null ? Map.of() : r.getLimits();
    Map<String, Quantity> requests = r.getRequests() == null ? Map.of() : r.getRequests();
    return new TaskResources(
        cpuMillis(limits.get("cpu")),
        cpuMillis(requests.containsKey("cpu") ? requests.get("cpu") : limits.get("cpu")),
        bytes(limits.get("memory")),
        0);
  }

  public static long cpuMillis(Quantity q) {
    return q == null ? 0 : Quantity.getAmountInBytes(q).multiply(BigDecimal.valueOf(1000)).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
  }

  public static long bytes(Quantity q) {
    return q == null ? 0 : Quantity.getAmountInBytes(q).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
  }
}
