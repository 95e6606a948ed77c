package io.keelson.agent.pod;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Writes the pod status a {@link PodWorker} builds as JSON, the same text as fabric8's {@code
 * Serialization.asJson} (fields in its alphabetical order, nulls and empty lists left out), but with
 * a streaming generator over exactly the fields the agent fills.
 *
 * <p>Why: every pod's status is serialized at least once per start, and on a hollow agent (thousands
 * of pods per JVM) fabric8's bean serialization — its property-writer delegates, method handles per
 * getter, and the JIT compiling all of that — was ~14% of the agent's samples in the scheduler
 * benchmark. A status carrying anything else (a field the agent never sets) goes through fabric8.
 */
final class PodStatusJson {
  private static final JsonFactory JSON = new JsonFactory();

  private PodStatusJson() {}

  static String write(PodStatus s) {
    if (!covered(s)) {
      return Serialization.asJson(s);
    }
    StringWriter out = new StringWriter(1024);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      if (notEmpty(s.getConditions())) {
        g.writeName("conditions");
        g.writeStartArray();
        for (PodCondition c : s.getConditions()) {
          g.writeStartObject();
          string(g, "lastProbeTime", c.getLastProbeTime());
          string(g, "lastTransitionTime", c.getLastTransitionTime());
          string(g, "message", c.getMessage());
          if (c.getObservedGeneration() != null) {
            g.writeNumberProperty("observedGeneration", c.getObservedGeneration().longValue());
          }
          string(g, "reason", c.getReason());
          string(g, "status", c.getStatus());
          string(g, "type", c.getType());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      containers(g, "containerStatuses", s.getContainerStatuses());
      containers(g, "ephemeralContainerStatuses", s.getEphemeralContainerStatuses());
      string(g, "hostIP", s.getHostIP());
      ips(g, "hostIPs", s.getHostIPs(), HostIP::getIp);
      containers(g, "initContainerStatuses", s.getInitContainerStatuses());
      string(g, "message", s.getMessage());
      string(g, "phase", s.getPhase());
      string(g, "podIP", s.getPodIP());
      ips(g, "podIPs", s.getPodIPs(), PodIP::getIp);
      string(g, "qosClass", s.getQosClass());
      string(g, "reason", s.getReason());
      string(g, "startTime", s.getStartTime());
      g.writeEndObject();
    }
    return out.toString();
  }

  /** A list of {@code {"ip": ...}} objects (hostIPs, podIPs). */
  private static <T> void ips(JsonGenerator g, String field, List<T> list, Function<T, String> ip) {
    if (!notEmpty(list)) {
      return;
    }
    g.writeName(field);
    g.writeStartArray();
    for (T item : list) {
      g.writeStartObject();
      string(g, "ip", ip.apply(item));
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void containers(JsonGenerator g, String field, List<ContainerStatus> list) {
    if (!notEmpty(list)) {
      return;
    }
    g.writeName(field);
    g.writeStartArray();
    for (ContainerStatus c : list) {
      g.writeStartObject();
      string(g, "containerID", c.getContainerID());
      string(g, "image", c.getImage());
      string(g, "imageID", c.getImageID());
      state(g, "lastState", c.getLastState());
      string(g, "name", c.getName());
      bool(g, "ready", c.getReady());
      if (c.getRestartCount() != null) {
        g.writeNumberProperty("restartCount", c.getRestartCount().intValue());
      }
      bool(g, "started", c.getStarted());
      state(g, "state", c.getState());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void state(JsonGenerator g, String field, ContainerState st) {
    if (st == null) {
      return;
    }
    g.writeName(field);
    g.writeStartObject();
    if (st.getRunning() != null) {
      g.writeName("running");
      g.writeStartObject();
      string(g, "startedAt", st.getRunning().getStartedAt());
      g.writeEndObject();
    }
    ContainerStateTerminated t = st.getTerminated();
    if (t != null) {
      g.writeName("terminated");
      g.writeStartObject();
      string(g, "containerID", t.getContainerID());
      if (t.getExitCode() != null) {
        g.writeNumberProperty("exitCode", t.getExitCode().intValue());
      }
      string(g, "finishedAt", t.getFinishedAt());
      string(g, "message", t.getMessage());
      string(g, "reason", t.getReason());
      if (t.getSignal() != null) {
        g.writeNumberProperty("signal", t.getSignal().intValue());
      }
      string(g, "startedAt", t.getStartedAt());
      g.writeEndObject();
    }
    if (st.getWaiting() != null) {
      g.writeName("waiting");
      g.writeStartObject();
      string(g, "message", st.getWaiting().getMessage());
      string(g, "reason", st.getWaiting().getReason());
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static void string(JsonGenerator g, String field, String value) {
    if (value != null) {
      g.writeStringProperty(field, value);
    }
  }

  private static void bool(JsonGenerator g, String field, Boolean value) {
    if (value != null) {
      g.writeBooleanProperty(field, value);
    }
  }

  private static boolean notEmpty(List<?> l) {
    return l != null && !l.isEmpty();
  }

  /** Whether every field set in {@code s} is one {@link #write} writes (else fabric8 does it). */
  static boolean covered(PodStatus s) {
    if (notEmpty(s.getResourceClaimStatuses())
        || notEmpty(s.getVolumeHealth()) || notEmpty(s.getNodeAllocatableResourceClaimStatuses())
        || notEmptyMap(s.getAllocatedResources()) || s.getExtendedResourceClaimStatus() != null
        || s.getNominatedNodeName() != null || s.getObservedGeneration() != null || s.getResize() != null
        || s.getResources() != null || notEmptyMap(s.getAdditionalProperties())) {
      return false;
    }
    return plain(s.getConditions(), PodCondition::getAdditionalProperties)
        && plain(s.getHostIPs(), HostIP::getAdditionalProperties)
        && plain(s.getPodIPs(), PodIP::getAdditionalProperties)
        && containersCovered(s.getContainerStatuses()) && containersCovered(s.getInitContainerStatuses())
        && containersCovered(s.getEphemeralContainerStatuses());
  }

  /** Whether no item of {@code list} is null or carries properties beyond its model's fields. */
  private static <T> boolean plain(List<T> list, Function<T, Map<String, Object>> extra) {
    if (list != null) {
      for (T item : list) {
        if (item == null || notEmptyMap(extra.apply(item))) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean containersCovered(List<ContainerStatus> list) {
    if (list == null) {
      return true;
    }
    for (ContainerStatus c : list) {
      if (c == null || notEmptyMap(c.getAllocatedResources()) || notEmpty(c.getAllocatedResourcesStatus())
          || c.getResources() != null || c.getStopSignal() != null || c.getUser() != null
          || notEmpty(c.getVolumeMounts()) || notEmptyMap(c.getAdditionalProperties())
          || !stateCovered(c.getState()) || !stateCovered(c.getLastState())) {
        return false;
      }
    }
    return true;
  }

  private static boolean stateCovered(ContainerState st) {
    if (st == null) {
      return true;
    }
    return !notEmptyMap(st.getAdditionalProperties())
        && (st.getRunning() == null || !notEmptyMap(st.getRunning().getAdditionalProperties()))
        && (st.getWaiting() == null || !notEmptyMap(st.getWaiting().getAdditionalProperties()))
        && (st.getTerminated() == null || !notEmptyMap(st.getTerminated().getAdditionalProperties()));
  }

  private static boolean notEmptyMap(Map<?, ?> m) {
    return m != null && !m.isEmpty();
  }
}
