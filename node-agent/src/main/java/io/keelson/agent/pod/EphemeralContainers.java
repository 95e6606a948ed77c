package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's ephemeral containers (added by {@code kubectl debug} through pods/ephemeralcontainers) as
 * the agent runs them: as containers, with the same fields (the api-server keeps ports, probes and
 * resources off them), so they start, log, exec and attach as any container does. Unlike app
 * containers they run once, whatever the restart policy, and never count towards readiness.
 */
public final class EphemeralContainers {

  private EphemeralContainers() {}

  public static List<Container> of(Pod p) {
    List<EphemeralContainer> list = p.getSpec().getEphemeralContainers();
    if (list == null || list.isEmpty()) {
      return List.of();
    }
    List<Container> out = new ArrayList<>(list.size());
    for (EphemeralContainer e : list) {
      Container c = new Container();
      c.setName(e.getName());
      c.setImage(e.getImage());
      c.setImagePullPolicy(e.getImagePullPolicy());
      c.setCommand(e.getCommand());
      c.setArgs(e.getArgs());
      c.setWorkingDir(e.getWorkingDir());
      c.setEnv(e.getEnv());
      c.setEnvFrom(e.getEnvFrom());
      c.setVolumeMounts(e.getVolumeMounts());
      c.setVolumeDevices(e.getVolumeDevices());
      c.setSecurityContext(e.getSecurityContext());
      c.setStdin(e.getStdin());
      c.setStdinOnce(e.getStdinOnce());
      c.setTty(e.getTty());
      c.setTerminationMessagePath(e.getTerminationMessagePath());
      c.setTerminationMessagePolicy(e.getTerminationMessagePolicy());
      out.add(c);
    }
    return out;
  }

  /** The container whose process namespace ephemeral container {@code name} joins ({@code --target}), or null. */
  public static String targetOf(Pod p, String name) {
    List<EphemeralContainer> list = p.getSpec().getEphemeralContainers();
    if (list != null) {
      for (EphemeralContainer e : list) {
        if (e.getName().equals(name)) {
          String t = e.getTargetContainerName();
          return t == null || t.isEmpty() ? null : t;
        }
      }
    }
    return null;
  }
}
