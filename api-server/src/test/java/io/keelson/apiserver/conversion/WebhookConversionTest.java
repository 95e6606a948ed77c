package io.keelson.apiserver.conversion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.webhook.WebhookClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class WebhookConversionTest {

  /** The reviews the fake webhook received. */
  private final List<JsonNode> reviews = new ArrayList<>();

  /**
   * A webhook that answers each object converted by apiVersion alone (after {@code edit} had a go
   * at the response), as a v1 ConversionReview with the request's uid.
   */
  private WebhookConversion conversion(BiConsumer<ObjectNode, ObjectNode> edit) {
    return new WebhookConversion(type("v2"), type("v1"), List.of("v1"), body -> {
      JsonNode review = ObjectCodec.JSON.readTree(body);
      reviews.add(review);
      ObjectNode out = ObjectCodec.JSON.createObjectNode().put("apiVersion", "apiextensions.k8s.io/v1").put("kind", "ConversionReview");
      ObjectNode resp = out.putObject("response").put("uid", review.path("request").path("uid").asString());
      resp.putObject("result").put("status", "Success");
      for (JsonNode o : review.path("request").path("objects")) {
        ObjectNode c = ((ObjectNode) o).deepCopy().put("apiVersion", review.path("request").path("desiredAPIVersion").asString());
        resp.withArray("convertedObjects").add(c);
      }
      edit.accept(out, resp);
      return new WebhookClient.Answer(200, ObjectCodec.JSON.writeValueAsBytes(out));
    });
  }

  /** A version of demo.keelson.io's widgets, not registered: no schema to check writes by. */
  private static ResourceType type(String version) {
    return new ResourceType("demo.keelson.io", version, "widgets", "Widget", true, List.of(), List.of(), Set.of(), CustomResource.MODEL, true);
  }

  private static ObjectNode widget(String apiVersion, String name) {
    ObjectNode o = ObjectCodec.JSON.createObjectNode().put("apiVersion", apiVersion).put("kind", "Widget");
    o.putObject("metadata").put("name", name).put("namespace", "default").put("uid", "uid-" + name).put("resourceVersion", "7");
    return o;
  }

  @Test
  void aListGoesToTheWebhookInOneReviewWithOnlyTheObjectsNotYetAtTheServedVersion() {
    List<ObjectNode> served = conversion((out, resp) -> {}).toServed(List.of(widget("demo.keelson.io/v1", "a"),
        widget("demo.keelson.io/v2", "b"), widget("demo.keelson.io/v1", "c")));

    assertThat(reviews).hasSize(1);
    JsonNode request = reviews.get(0).path("request");
    assertThat(reviews.get(0).path("apiVersion").asString()).isEqualTo("apiextensions.k8s.io/v1");
    assertThat(request.path("desiredAPIVersion").asString()).isEqualTo("demo.keelson.io/v2");
    assertThat(request.path("uid").asString()).isNotEmpty();
    assertThat(request.path("objects")).extracting(o -> o.path("metadata").path("name").asString()).containsExactly("a", "c");
    assertThat(served).extracting(o -> o.path("metadata").path("name").asString() + "@" + o.path("apiVersion").asString())
        .containsExactly("a@demo.keelson.io/v2", "b@demo.keelson.io/v2", "c@demo.keelson.io/v2");
  }

  @Test
  void objectsAlreadyAtTheWantedVersionNeedNoCall() {
    assertThat(conversion((out, resp) -> {}).toStorage(widget("demo.keelson.io/v1", "a")).path("apiVersion").asString())
        .isEqualTo("demo.keelson.io/v1");
    assertThat(reviews).isEmpty();
  }

  @Test
  void onlyLabelsAndAnnotationsOfTheWebhooksMetadataAreKept() {
    ObjectNode converted = conversion((out, resp) -> {
      ObjectNode md = (ObjectNode) resp.path("convertedObjects").get(0).path("metadata");
      md.put("resourceVersion", "999").put("generation", 5);
      md.putObject("labels").put("converted", "yes");
    }).toServed(widget("demo.keelson.io/v1", "a"));

    assertThat(converted.path("metadata").path("resourceVersion").asString()).isEqualTo("7");
    assertThat(converted.path("metadata").has("generation")).isFalse();
    assertThat(converted.path("metadata").path("labels").path("converted").asString()).isEqualTo("yes");
  }

  @Test
  void labelsTheWebhookChangesMustBeLabels() {
    assertThatThrownBy(() -> conversion((out, resp) -> ((ObjectNode) resp.path("convertedObjects").get(0).path("metadata"))
        .putObject("labels").put("bad key!", "x")).toServed(widget("demo.keelson.io/v1", "a")))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(500))
        .hasMessageStartingWith("conversion webhook for demo.keelson.io/v1, Kind=Widget returned invalid metadata: "
            + "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters");
  }

  @Test
  void aFailedConversionIsKubesInternalErrorNamingTheWebhooksInput() {
    assertThatThrownBy(() -> conversion((out, resp) -> resp.putObject("result").put("status", "Failure").put("message", "no endpoint in v2"))
        .toServed(widget("demo.keelson.io/v1", "a")))
        .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.code()).isEqualTo(500))
        .hasMessage("conversion webhook for demo.keelson.io/v1, Kind=Widget failed: no endpoint in v2");
    assertThatThrownBy(() -> conversion((out, resp) -> resp.put("uid", "other")).toServed(widget("demo.keelson.io/v1", "a")))
        .hasMessageStartingWith("conversion webhook for demo.keelson.io/v1, Kind=Widget failed: expected response.uid=\"")
        .hasMessageEndingWith("\", got \"other\"");
    assertThatThrownBy(() -> conversion((out, resp) -> resp.withArray("convertedObjects").removeAll())
        .toServed(List.of(widget("demo.keelson.io/v1", "a"))))
        .hasMessage("conversion webhook for demo.keelson.io/v1, Kind=Widget returned 0 objects, expected 1");
    assertThatThrownBy(() -> conversion((out, resp) -> ((ObjectNode) resp.path("convertedObjects").get(0).path("metadata")).put("name", "z"))
        .toServed(widget("demo.keelson.io/v1", "a")))
        .hasMessage("conversion webhook for demo.keelson.io/v1, Kind=Widget returned invalid object: must have the same name: a != z");
    assertThatThrownBy(() -> conversion((out, resp) -> ((ObjectNode) resp.path("convertedObjects").get(0)).put("apiVersion", "demo.keelson.io/v1"))
        .toServed(List.of(widget("demo.keelson.io/v1", "a"))))
        .hasMessage("conversion webhook for demo.keelson.io/v1, Kind=Widget returned invalid converted object at index 0: "
            + "invalid groupVersion (expected demo.keelson.io/v2, received demo.keelson.io/v1)");
    WebhookConversion down = new WebhookConversion(type("v2"), type("v1"), List.of("v1"), body -> {
      throw new WebhookClient.CallFailure("failed to call webhook: Post \"https://127.0.0.1:1/convert?timeout=30s\": connection refused");
    });
    assertThatThrownBy(() -> down.toStorage(widget("demo.keelson.io/v2", "a")))
        .hasMessage("conversion webhook for demo.keelson.io/v2, Kind=Widget failed: Post \"https://127.0.0.1:1/convert?timeout=30s\": connection refused");
  }
}
