package io.keelson.cli.output;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/** YAML and JSON rendering the way kubectl prints objects (no leading ---, pretty JSON). */
public final class Formats {
  public static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
          .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
          .build();
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private Formats() {}

  public static String yaml(JsonNode n) {
    return YAML.writeValueAsString(n);
  }

  public static String json(JsonNode n) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
  }
}
