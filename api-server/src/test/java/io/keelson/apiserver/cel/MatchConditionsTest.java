package io.keelson.apiserver.cel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class MatchConditionsTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final CelEnvironment ENV = new CelEnvironment(List.of("object", "oldObject", "request"), List.of());

  private static MatchConditions.Result evaluate(String conditions, String object) {
    JsonNode obj = JSON.readTree(object.replace('\'', '"'));
    Map<String, Object> vars = Map.of("object", CelValues.of(obj), "oldObject", CelValues.of(null),
        "request", Map.of("operation", "CREATE"));
    return MatchConditions.evaluate(ENV, JSON.readTree(conditions.replace('\'', '"')), vars);
  }

  @Test
  void allTrueMatchesAndNoConditionsMatch() {
    assertThat(evaluate("[{'name':'a','expression':'request.operation == \\'CREATE\\''},{'name':'b','expression':'oldObject == null'}]",
        "{}")).isEqualTo(new MatchConditions.Result(true, null));
    assertThat(evaluate("[]", "{}")).isEqualTo(new MatchConditions.Result(true, null));
  }

  @Test
  void aFalseConditionSkipsEvenWhenAnotherFails() {
    assertThat(evaluate("[{'name':'err','expression':'object.spec.x == 1'},{'name':'no','expression':'false'}]", "{}"))
        .isEqualTo(new MatchConditions.Result(false, null));
  }

  @Test
  void failuresWithoutAFalseOneAreTheError() {
    MatchConditions.Result one = evaluate("[{'name':'err','expression':'object.spec.x == 1'},{'name':'yes','expression':'true'}]", "{}");
    assertThat(one.matches()).isFalse();
    assertThat(one.error()).startsWith("expression 'object.spec.x == 1' resulted in error: ").contains("spec");
    MatchConditions.Result two = evaluate("[{'name':'err','expression':'object.spec.x == 1'},{'name':'str','expression':'\\'yes\\''}]", "{}");
    assertThat(two.error()).startsWith("[expression 'object.spec.x == 1' resulted in error: ")
        .endsWith(", expression '\"yes\"' resulted in error: expression must evaluate to a bool, got string]");
  }
}
