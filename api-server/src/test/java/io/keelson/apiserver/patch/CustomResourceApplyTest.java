package io.keelson.apiserver.patch;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Server-side apply of custom resources: lists merge as the schema's x-kubernetes-list-type says, atomic otherwise. */
class CustomResourceApplyTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ResourceType WIDGETS = new ResourceType("example.com", "v1", "widgets", "Widget", true, List.of(), List.of(),
      Set.of(), CustomResource.MODEL, true);

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  @BeforeAll
  static void define() {
    ResourceRegistry.replaceCustom(List.of(new CustomResource(WIDGETS, WIDGETS, json("""
        {'metadata':{'name':'widgets.example.com'},'spec':{'versions':[{'name':'v1','schema':{'openAPIV3Schema':{'type':'object',
         'properties':{'spec':{'type':'object','properties':{
          'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['name'],
            'items':{'type':'object','properties':{'name':{'type':'string'},'port':{'type':'integer'}}}},
          'tags':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'string'}},
          'containers':{'type':'array','items':{'type':'object','properties':{'name':{'type':'string'}}}}}}}}}}]}}
        """), true)));
  }

  @AfterAll
  static void undefine() {
    ResourceRegistry.replaceCustom(List.of());
  }

  private static ObjectNode widget(String spec) {
    return json("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w','namespace':'default'},'spec':" + spec + "}");
  }

  @Test
  void listsMergeByTheSchemasListTypeAndOtherwiseAreReplacedWhole() {
    ObjectNode first = ServerSideApply.apply(WIDGETS, null, widget(
        "{'ports':[{'name':'http','port':80}],'tags':['a'],'containers':[{'name':'one'}]}"), "alice", false);
    ObjectNode second = ServerSideApply.apply(WIDGETS, first, widget(
        "{'ports':[{'name':'https','port':443}],'tags':['b'],'containers':[{'name':'two'}]}"), "bob", true);
    assertThat(second.path("spec").path("ports").valueStream().map(p -> p.path("name").asString())).containsExactly("http", "https");
    assertThat(second.path("spec").path("tags").valueStream().map(t -> t.asString())).containsExactly("a", "b");
    // "containers" has no list type in this schema: atomic, unlike a pod's containers
    assertThat(second.path("spec").path("containers").valueStream().map(c -> c.path("name").asString())).containsExactly("two");
  }
}
