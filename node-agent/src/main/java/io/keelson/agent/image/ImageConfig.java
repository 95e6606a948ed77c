package io.keelson.agent.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The runtime defaults an image carries (its config blob's {@code config} section), which the agent
 * combines with the container spec: ENTRYPOINT + CMD → argv, ENV, WORKDIR, USER.
 *
 * @param user "uid", "uid:gid", "name" or "" for root
 */
public record ImageConfig(
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    String user,
    Map<String, String> labels,
    List<String> exposedPorts) {

  public ImageConfig {
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
    labels = Map.copyOf(labels);
    exposedPorts = List.copyOf(exposedPorts);
  }

  /** Reads an OCI/Docker image config JSON. */
  static ImageConfig parse(JsonNode configBlob) {
    JsonNode c = configBlob.path("config");
    Map<String, String> labels = new LinkedHashMap<>();
    if (c.path("Labels").isObject()) {
      c.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString("")));
    }
    List<String> ports = new ArrayList<>();
    if (c.path("ExposedPorts").isObject()) {
      c.path("ExposedPorts").properties().forEach(e -> ports.add(e.getKey()));
    }
    return new ImageConfig(
        strings(c.path("Entrypoint")),
        strings(c.path("Cmd")),
        strings(c.path("Env")),
        c.path("WorkingDir").asString(""),
        c.path("User").asString(""),
        labels,
        ports);
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n.isArray()) {
      n.forEach(x -> out.add(x.asString()));
    }
    return out;
  }
}
