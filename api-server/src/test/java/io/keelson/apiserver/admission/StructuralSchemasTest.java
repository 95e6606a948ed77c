package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException.Cause;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class StructuralSchemasTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  private static final ResourceType TYPE = new ResourceType("example.com", "v1", "widgets", "Widget", true, List.of(), List.of(),
      Set.of(), CustomResource.MODEL, true);

  private static final CustomResource WIDGET = new CustomResource(TYPE, TYPE, json("""
      {'spec':{'versions':[{'name':'v1','schema':{'openAPIV3Schema':{'type':'object','properties':{
        'spec':{'type':'object','required':['color'],'properties':{
          'replicas':{'type':'integer','minimum':1,'maximum':10,'default':1},
          'color':{'type':'string','enum':['red','blue']},
          'name':{'type':'string','minLength':3,'maxLength':5,'pattern':'^[a-z]+$'},
          'port':{'x-kubernetes-int-or-string':true},
          'note':{'type':'string','nullable':true},
          'tags':{'type':'array','minItems':1,'maxItems':2,'items':{'type':'string'}},
          'labels':{'type':'object','additionalProperties':{'type':'string'}},
          'free':{'type':'object','x-kubernetes-preserve-unknown-fields':true,'properties':{'known':{'type':'integer'}}},
          'template':{'type':'object','x-kubernetes-embedded-resource':true,'x-kubernetes-preserve-unknown-fields':true},
          'limits':{'type':'object','default':{},'properties':{'cpu':{'type':'string','default':'1'}}}}}}}}}]}}
      """), true);

  private static List<String> errors(String spec) {
    FieldErrors errs = new FieldErrors();
    StructuralSchemas.validate(WIDGET, json("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':" + spec + "}"), errs);
    return errs.causes().stream().map(c -> c.field() + ": " + c.message()).toList();
  }

  @Test
  void aValidObjectHasNoErrors() {
    assertThat(errors("{'color':'red','replicas':3,'name':'abc','port':'http','note':null,'tags':['a'],"
        + "'labels':{'a':'b'},'free':{'x':{'y':1}},'template':{'apiVersion':'v1','kind':'Pod','spec':{}}}")).isEmpty();
    assertThat(errors("{'color':'blue','port':8080}")).isEmpty();
  }

  @Test
  void wrongTypesAreReportedAsKubeWordsThem() {
    assertThat(errors("{'color':'red','replicas':'three'}"))
        .containsExactly("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
    assertThat(errors("{'color':'red','replicas':1.5}"))
        .containsExactly("spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"");
    assertThat(errors("{'color':'red','port':true}"))
        .containsExactly("spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"");
    assertThat(errors("{'color':'red','name':null}"))
        .containsExactly("spec.name: Invalid value: \"null\": spec.name in body must be of type string: \"null\"");
    assertThat(errors("{'color':'red','labels':{'a':1}}"))
        .containsExactly("spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"");
  }

  @Test
  void valueChecks() {
    assertThat(errors("{'replicas':1}")).containsExactly("spec.color: Required value");
    assertThat(errors("{'color':'green'}")).containsExactly("spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"");
    assertThat(errors("{'color':'red','replicas':0}"))
        .containsExactly("spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1");
    assertThat(errors("{'color':'red','replicas':11}"))
        .containsExactly("spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10");
    assertThat(errors("{'color':'red','name':'ab'}"))
        .containsExactly("spec.name: Invalid value: \"ab\": spec.name in body should be at least 3 chars long");
    assertThat(errors("{'color':'red','name':'abcdef'}")).containsExactly("spec.name: Too long: may not be more than 5 bytes");
    assertThat(errors("{'color':'red','name':'AB1'}"))
        .containsExactly("spec.name: Invalid value: \"AB1\": spec.name in body should match '^[a-z]+$'");
    assertThat(errors("{'color':'red','tags':[]}"))
        .containsExactly("spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items");
    assertThat(errors("{'color':'red','tags':['a','b','c']}")).containsExactly("spec.tags: Too many: 3: must have at most 2 items");
    assertThat(errors("{'color':'red','template':{'spec':{}}}"))
        .containsExactly("spec.template.kind: Required value: must not be empty", "spec.template.apiVersion: Required value: must not be empty");
  }

  @Test
  void unknownFieldsArePrunedExceptWhereTheSchemaKeepsThem() {
    ObjectNode o = json("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'extra':1,"
        + "'spec':{'color':'red','bogus':true,'labels':{'any':'x'},'free':{'anything':{'goes':1},'known':2},"
        + "'template':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'x':1}},'tags':['a']}}");
    List<String> pruned = new ArrayList<>();
    StructuralSchemas.prune(WIDGET, o, pruned);
    assertThat(pruned).containsExactly(".extra", ".spec.bogus");
    assertThat(o.has("extra")).isFalse();
    assertThat(o.path("spec").has("bogus")).isFalse();
    assertThat(o.path("spec").path("free").path("anything").path("goes").asInt()).isEqualTo(1);
    assertThat(o.path("spec").path("template").path("spec").path("x").asInt()).isEqualTo(1);
    assertThat(o.path("metadata").path("name").asString()).isEqualTo("w");
  }

  @Test
  void defaultsFillAbsentFieldsDownToNestedDefaults() {
    ObjectNode o = json("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'color':'red'}}");
    StructuralSchemas.applyDefaults(WIDGET, o);
    assertThat(o.path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(o.path("spec").path("limits").path("cpu").asString()).isEqualTo("1");
    ObjectNode set = json("{'spec':{'color':'red','replicas':4,'limits':{'cpu':'2'}}}");
    StructuralSchemas.applyDefaults(WIDGET, set);
    assertThat(set.path("spec").path("replicas").asInt()).isEqualTo(4);
    assertThat(set.path("spec").path("limits").path("cpu").asString()).isEqualTo("2");
  }

  @Test
  void definitionsAreCheckedAsKubeChecksThem() {
    FieldErrors errs = new FieldErrors();
    ObjectNode crd = json("{'metadata':{'name':'things.example.com'},'spec':{'group':'example.com','scope':'Everywhere',"
        + "'names':{'plural':'widgets','singular':'widget','kind':'Widget','listKind':'Widget','shortNames':['W!']},"
        + "'versions':[{'name':'v1','served':false,'storage':true},{'name':'v1','served':false,'storage':true,"
        + "'schema':{'openAPIV3Schema':{'type':'object'}}}]}}");
    CustomResourceDefinitions.validate(crd, null, errs);
    assertThat(errs.causes().stream().map(c -> c.field() + ": " + c.message())).contains(
        "metadata.name: Invalid value: \"things.example.com\": must be spec.names.plural+\".\"+spec.group",
        "spec.scope: Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Namespaced\"",
        "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
        "spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same");
    assertThat(errs.causes().stream().map(Cause::message))
        .anyMatch(m -> m.endsWith("must contain unique version names"))
        .anyMatch(m -> m.endsWith("must have exactly one version marked as storage version"))
        .anyMatch(m -> m.endsWith("must have at least one served version"));
    assertThat(errs.causes().stream().map(Cause::field)).contains("spec.names.shortNames[0]");
  }
  @Test
  void conversionWebhooksAreCheckedAsKubeChecksThem() {
    FieldErrors errs = new FieldErrors();
    ObjectNode crd = json("{'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com','scope':'Namespaced',"
        + "'preserveUnknownFields':true,'names':{'plural':'widgets','singular':'widget','kind':'Widget','listKind':'WidgetList'},"
        + "'conversion':{'strategy':'Webhook','webhook':{'conversionReviewVersions':['v1','v1'],"
        + "'clientConfig':{'caBundle':'bm90IHBlbQ==','service':{'name':'converter','path':'convert'}}}},"
        + "'versions':[{'name':'v1','served':true,'storage':true,'schema':{'openAPIV3Schema':{'type':'object'}}}]}}");
    CustomResourceDefinitions.applyDefaults(crd);
    assertThat(crd.path("spec").path("conversion").path("webhook").path("clientConfig").path("service").path("port").asInt()).isEqualTo(443);
    CustomResourceDefinitions.validate(crd, null, errs);
    assertThat(errs.causes().stream().map(c -> c.field() + ": " + c.message())).containsExactlyInAnyOrder(
        "spec.conversion.webhookClientConfig.service.namespace: Required value: service namespace is required",
        "spec.conversion.webhookClientConfig.service.path: Invalid value: \"convert\": must start with a '/'",
        "spec.conversion.conversionReviewVersions[1]: Invalid value: \"v1\": duplicate version",
        "spec.conversion.webhookClientConfig.caBundle: Invalid value: \"bm90IHBlbQ==\": unable to load root certificates: "
            + "unable to parse bytes as PEM block",
        "spec.conversion.strategy: Invalid value: \"Webhook\": must be None if spec.preserveUnknownFields is true");
  }
}
