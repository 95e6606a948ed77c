package io.keelson.apiserver.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class QueryParametersTest {

  @Test
  void decodesValuesAndKeepsRepeatedKeysInOrder() {
    var p = QueryParameters.parse("command=sh&command=-c&command=echo%20a%2Bb&stdout=1&tty&fieldSelector=spec.nodeName%3Dn1");
    assertThat(p.get("command")).containsExactly("sh", "-c", "echo a+b");
    assertThat(QueryParameters.first(p, "stdout")).isEqualTo("1");
    assertThat(QueryParameters.first(p, "tty")).isEmpty();
    assertThat(QueryParameters.first(p, "fieldSelector")).isEqualTo("spec.nodeName=n1");
    assertThat(QueryParameters.first(p, "watch")).isNull();
    assertThat(QueryParameters.parse(null)).isEmpty();
    assertThat(QueryParameters.parse("a=1").get("a")).isEqualTo(List.of("1"));
  }
}
