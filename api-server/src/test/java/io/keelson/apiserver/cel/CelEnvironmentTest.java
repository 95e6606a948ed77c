package io.keelson.apiserver.cel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class CelEnvironmentTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final CelEnvironment ENV = new CelEnvironment(List.of("self", "oldSelf"), List.of());

  private static Object eval(String expression, String self) throws Exception {
    return ENV.compile(expression).evaluate(Map.of("self", CelValues.of(JSON.readTree(self.replace('\'', '"'))),
        "oldSelf", CelValues.of(null)));
  }

  @Test
  void jsonValuesAreCelValues() throws Exception {
    String obj = "{'n':3,'f':1.5,'s':'abc','b':true,'z':null,'l':[1,2,3],'m':{'k':'v'},'port':'http'}";
    assertThat(eval("self.n + 1", obj)).isEqualTo(4L);
    assertThat(eval("self.f * 2.0", obj)).isEqualTo(3.0);
    assertThat(eval("self.n > self.f", obj)).isEqualTo(true); // int against double, as cel-go compares them
    assertThat(eval("self.s + '!'", obj)).isEqualTo("abc!");
    assertThat(eval("self.b && self.z == null", obj)).isEqualTo(true);
    assertThat(eval("self.m.k == 'v' && self.m['k'] == 'v'", obj)).isEqualTo(true);
    assertThat(eval("self.port == 'http' || self.port > 0", obj)).isEqualTo(true); // an int-or-string
    assertThat(eval("self.z", obj)).isNull();
  }

  @Test
  void standardMacrosAndStringFunctions() throws Exception {
    String obj = "{'l':[1,2,3],'s':'web-01','m':{'a':1}}";
    assertThat(eval("has(self.m) && !has(self.x) && has(self.m.a)", obj)).isEqualTo(true);
    assertThat(eval("size(self.l) == 3 && self.l.size() == 3 && size(self.s) == 6", obj)).isEqualTo(true);
    assertThat(eval("self.l.all(i, i > 0) && self.l.exists(i, i == 2) && self.l.exists_one(i, i > 2)", obj)).isEqualTo(true);
    assertThat(eval("self.l.map(i, i * 10)", obj)).isEqualTo(List.of(10L, 20L, 30L));
    assertThat(eval("self.l.filter(i, i % 2 == 1)", obj)).isEqualTo(List.of(1L, 3L));
    assertThat(eval("self.s.matches('^[a-z]+-[0-9]+$') && self.s.startsWith('web') && self.s.endsWith('01') && self.s.contains('-')", obj))
        .isEqualTo(true);
    assertThat(eval("self.s.upperAscii() + self.s.split('-')[1]", obj)).isEqualTo("WEB-0101");
  }

  @Test
  void kubernetesLibrary() throws Exception {
    String obj = "{'l':[3,1,2],'sorted':['a','b','c'],'s':'a1b22c333','u':'https://example.com/x','p':'/path'}";
    assertThat(eval("self.sorted.isSorted() && !self.l.isSorted()", obj)).isEqualTo(true);
    assertThat(eval("[self.l.sum(), self.l.min(), self.l.max(), self.l.indexOf(2), [1,2,1].lastIndexOf(1)]", obj))
        .isEqualTo(List.of(6L, 1L, 3L, 2L, 2L));
    assertThat(eval("self.s.find('[0-9]+')", obj)).isEqualTo("1");
    assertThat(eval("self.s.findAll('[0-9]+')", obj)).isEqualTo(List.of("1", "22", "333"));
    assertThat(eval("self.s.findAll('[0-9]+', 2)", obj)).isEqualTo(List.of("1", "22"));
    assertThat(eval("isURL(self.u) && isURL(self.p) && !isURL('not a url')", obj)).isEqualTo(true);
  }

  @Test
  void quantities() throws Exception {
    String obj = "{'mem':'1Gi','cpu':'500m','n':2}";
    assertThat(eval("quantity(self.mem) == quantity('1024Mi') && quantity('1k') == quantity('1000')", obj)).isEqualTo(true);
    assertThat(eval("quantity(self.cpu).isLessThan(quantity('1')) && quantity(self.mem).isGreaterThan(quantity('1G'))", obj))
        .isEqualTo(true);
    assertThat(eval("[quantity(self.mem).asInteger(), quantity(self.cpu).sign(), quantity('2').compareTo(quantity('3'))]", obj))
        .isEqualTo(List.of(1073741824L, 1L, -1L));
    assertThat(eval("quantity(self.cpu).add(quantity('500m')) == quantity('1') && quantity('3').sub(self.n) == quantity('1')", obj))
        .isEqualTo(true);
    assertThat(eval("quantity(self.cpu).isInteger() || !isQuantity('1.5.5') && isQuantity('2Ki')", obj)).isEqualTo(true);
    assertThat(eval("quantity(self.cpu).asApproximateFloat()", obj)).isEqualTo(0.5);
    assertThatThrownBy(() -> eval("quantity('lots') == quantity('1')", obj)).isInstanceOf(CelEvaluationError.class)
        .hasMessageContaining("quantities must match the regular expression");
  }

  @Test
  void compileErrorsSayWhereAndWhat() {
    assertThatThrownBy(() -> ENV.compile("self.x +")).isInstanceOf(CelCompileException.class)
        .hasMessageStartingWith("ERROR: <input>:1:9: ");
    assertThatThrownBy(() -> ENV.compile("nope(self)")).isInstanceOf(CelCompileException.class)
        .hasMessageContaining("undeclared reference to 'nope'");
  }

  @Test
  void evaluationErrorsAndNonBoolResultsAreErrors() throws Exception {
    assertThatThrownBy(() -> ENV.compile("self.missing == 1").test(Map.of("self", Map.of(), "oldSelf", Map.of())))
        .isInstanceOf(CelEvaluationError.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> ENV.compile("self").test(Map.of("self", 1L, "oldSelf", 1L)))
        .isInstanceOf(CelEvaluationError.class).hasMessage("expression must evaluate to a bool, got int");
  }

  @Test
  void transitionRulesAreTheOnesReadingOldSelf() throws Exception {
    assertThat(ENV.compile("self >= oldSelf").references("oldSelf")).isTrue();
    assertThat(ENV.compile("self >= 1").references("oldSelf")).isFalse();
  }

  @Test
  void optionalVariables() throws Exception {
    CelEnvironment env = new CelEnvironment(List.of("self"), List.of("oldSelf"));
    CelExpression e = env.compile("!oldSelf.hasValue() || self >= oldSelf.value()");
    assertThat(e.test(Map.of("self", 1L, "oldSelf", CelValues.optional(null)))).isTrue();
    assertThat(e.test(Map.of("self", 1L, "oldSelf", CelValues.optional(JSON.readTree("2"))))).isFalse();
  }
}
