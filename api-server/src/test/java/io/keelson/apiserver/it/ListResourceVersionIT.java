package io.keelson.apiserver.it;

import static io.keelson.apiserver.it.TestCluster.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Lists at a resourceVersion, as Kubernetes serves them (API concepts, "Semantics for get and list"),
 * against a real etcd and api-server: Exact (asked for, or a limit with rv=N) is the state at that
 * revision, from etcd, 410 once compacted; NotOlderThan (rv=N alone) is at least that new; a
 * revision the server has not reached is client-go's "too large resource version" (504); broken
 * combinations are kube's 422 / 400. A GET at a resourceVersion follows the same "not older than" rule.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ListResourceVersionIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CMS = "/api/v1/namespaces/default/configmaps";
  private static TestCluster c;
  private static long rvV1;
  private static long rvNow;

  @BeforeAll
  static void up() throws Exception {
    c = TestCluster.start("listrv", 1);
    JsonNode a = ok(c.send("POST", CMS, cm("a", "1")), 201);
    rvV1 = a.path("metadata").path("resourceVersion").asLong();
    ok(c.send("PUT", CMS + "/a", cm("a", "2")), 200);
    rvNow = ok(c.send("POST", CMS, cm("b", "1")), 201).path("metadata").path("resourceVersion").asLong();
  }

  @AfterAll
  static void down() throws Exception {
    if (c != null) c.close();
  }

  private static String cm(String name, String value) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"v\":\"" + value + "\"}}";
  }

  private static JsonNode list(String query, int code) throws Exception {
    return ok(c.send("GET", CMS + "?" + query, null), code);
  }

  private static List<String> items(JsonNode list) {
    List<String> out = new ArrayList<>();
    for (JsonNode i : list.path("items")) out.add(i.path("metadata").path("name").asString() + "=" + i.path("data").path("v").asString());
    return out;
  }

  @Test
  void exactIsTheStateAtThatRevision() throws Exception {
    JsonNode l = list("resourceVersion=" + rvV1 + "&resourceVersionMatch=Exact", 200);
    assertThat(items(l)).containsExactly("a=1");
    assertThat(l.path("metadata").path("resourceVersion").asLong()).isEqualTo(rvV1);
    // a limit with rv=N pages at exactly N (kube's legacy semantics), however much has changed since
    JsonNode p1 = list("resourceVersion=" + rvV1 + "&limit=1", 200);
    assertThat(items(p1)).containsExactly("a=1");
    assertThat(p1.path("metadata").path("resourceVersion").asLong()).isEqualTo(rvV1);
  }

  @Test
  void notOlderThanIsAtLeastThatNew() throws Exception {
    for (String q : List.of("resourceVersion=" + rvV1 + "&resourceVersionMatch=NotOlderThan", "resourceVersion=" + rvV1)) {
      JsonNode l = list(q, 200);
      assertThat(items(l)).as(q).containsExactly("a=2", "b=1");
      assertThat(l.path("metadata").path("resourceVersion").asLong()).as(q).isGreaterThanOrEqualTo(rvNow);
    }
    JsonNode paged = list("resourceVersion=" + rvV1 + "&resourceVersionMatch=NotOlderThan&limit=1", 200);
    assertThat(items(paged)).containsExactly("a=2");
    JsonNode rest = list("limit=1&continue=" + paged.path("metadata").path("continue").asString(), 200);
    assertThat(items(rest)).containsExactly("b=1");
  }

  @Test
  void aRevisionNotYetReachedIsTooLarge() throws Exception {
    long future = rvNow + 1_000_000;
    for (String q : List.of("resourceVersion=" + future, "resourceVersion=" + future + "&resourceVersionMatch=Exact",
        "resourceVersion=" + future + "&limit=10")) {
      JsonNode s = list(q, 504);
      assertThat(s.path("reason").asString()).as(q).isEqualTo("Timeout");
      assertThat(s.path("message").asString()).as(q).startsWith("Too large resource version: " + future + ", current: ");
      assertThat(s.path("details").path("causes").get(0).path("reason").asString()).isEqualTo("ResourceVersionTooLarge");
    }
  }

  @Test
  void aGetAtAResourceVersionIsAtLeastThatNew() throws Exception {
    JsonNode a = ok(c.send("GET", CMS + "/a?resourceVersion=" + rvV1, null), 200);
    assertThat(a.path("data").path("v").asString()).isEqualTo("2");
    assertThat(ok(c.send("GET", CMS + "/a?resourceVersion=0", null), 200).path("data").path("v").asString()).isEqualTo("2");
    JsonNode tooLarge = ok(c.send("GET", CMS + "/a?resourceVersion=" + (rvNow + 1_000_000), null), 504);
    assertThat(tooLarge.path("details").path("causes").get(0).path("reason").asString()).isEqualTo("ResourceVersionTooLarge");
    assertThat(ok(c.send("GET", CMS + "/a?resourceVersion=x", null), 400).path("message").asString())
        .isEqualTo("invalid resourceVersion \"x\": it must be a non-negative integer");
  }

  @Test
  void brokenCombinationsAreRejectedAsKubeRejectsThem() throws Exception {
    JsonNode noRv = list("resourceVersionMatch=NotOlderThan", 422);
    assertThat(noRv.path("message").asString()).isEqualTo("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        + "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    assertThat(list("resourceVersion=0&resourceVersionMatch=Exact", 422).path("message").asString())
        .contains("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
    assertThat(list("resourceVersion=1&resourceVersionMatch=Newest", 422).path("message").asString())
        .contains("Unsupported value: \"Newest\"");
    assertThat(list("watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan", 422).path("message").asString())
        .contains("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
    // a watch-list stream (client-go's WatchListClient) is refused as by a kube-apiserver without the feature: the client falls back
    assertThat(list("watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", 422)
        .path("message").asString()).contains("sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled");
    JsonNode first = list("limit=1", 200);
    assertThat(list("limit=1&resourceVersion=" + rvV1 + "&continue=" + first.path("metadata").path("continue").asString(), 400)
        .path("message").asString()).isEqualTo("specifying resource version is not allowed when using continue");
  }

  @Test
  @Order(Integer.MAX_VALUE) // compacts etcd: the other tests' exact lists need the history
  void anExactListOfACompactedRevisionIsGone() throws Exception {
    String other = "/api/v1/namespaces/kube-public/configmaps";
    JsonNode created = ok(c.send("POST", other, cm("c", "1")), 201);
    long before = created.path("metadata").path("resourceVersion").asLong();
    long now = ok(c.send("PUT", other + "/c", cm("c", "2")), 200).path("metadata").path("resourceVersion").asLong();
    c.etcdctl("compact", Long.toString(now));
    JsonNode gone = list("resourceVersion=" + before + "&resourceVersionMatch=Exact", 410);
    assertThat(gone.path("reason").asString()).isEqualTo("Expired");
    assertThat(gone.path("message").asString()).isEqualTo("The resourceVersion for the provided list is too old.");
  }
}
