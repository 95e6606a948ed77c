package io.keelson.apiserver.admission;

import static io.keelson.apiserver.admission.ValidatorTest.json;
import static io.keelson.apiserver.admission.ValidatorTest.set;
import static io.keelson.apiserver.admission.ValidatorTest.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keelson.apiserver.status.StatusException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class NetworkPoliciesTest {

  /** Every kind of peer and port kube accepts. */
  static ObjectNode policy() {
    ObjectNode np = json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'db','namespace':'default'},"
        + "'spec':{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':[{'podSelector':{'matchLabels':{'role':'client'}}},"
        + "{'namespaceSelector':{'matchExpressions':[{'key':'team','operator':'In','values':['a']}]},'podSelector':{}},"
        + "{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.1.0.0/16']}}],'ports':[{'port':5432},{'port':'metrics','protocol':'UDP'},"
        + "{'port':8000,'endPort':8080}]}]}}");
    Defaulter.applyDefaults(type("NetworkPolicy"), np);
    return np;
  }

  @Test
  void defaultsAsKube() {
    ObjectNode np = policy();
    assertThat(np.at("/spec/policyTypes")).isEqualTo(json("{'a':['Ingress']}").get("a"));
    assertThat(np.at("/spec/ingress/0/ports/0/protocol").asString()).isEqualTo("TCP");
    assertThat(np.at("/spec/ingress/0/ports/1/protocol").asString()).isEqualTo("UDP");
    ObjectNode egress = json("{'metadata':{'name':'e','namespace':'default'},'spec':{'egress':[{}]}}");
    Defaulter.applyDefaults(type("NetworkPolicy"), egress);
    assertThat(egress.at("/spec/policyTypes")).isEqualTo(json("{'a':['Ingress','Egress']}").get("a"));
    assertThat(egress.at("/spec/podSelector").isObject()).as("an omitted podSelector selects every pod").isTrue();
    ObjectNode chosen = json("{'metadata':{'name':'e','namespace':'default'},'spec':{'podSelector':{},'policyTypes':['Egress']}}");
    Defaulter.applyDefaults(type("NetworkPolicy"), chosen);
    assertThat(chosen.at("/spec/policyTypes")).isEqualTo(json("{'a':['Egress']}").get("a"));
  }

  @Test
  void validPolicyPasses() {
    assertThatCode(() -> Validator.validate(type("NetworkPolicy"), policy(), null)).doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
      "/spec/ingress/0/ports/0/protocol|'ICMP'|spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
      "/spec/ingress/0/ports/0/port|70000|spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
      "/spec/ingress/0/ports/2/endPort|7000|spec.ingress[0].ports[2].endPort: Invalid value: 8000: must be greater than or equal to `port`",
      "/spec/ingress/0/ports/1/endPort|90|spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
      "/spec/ingress/0/ports/1/port|'Metrics_1'|spec.ingress[0].ports[1].port: Invalid value: \"Metrics_1\": must contain only alpha-numeric characters",
      "/spec/ingress/0/from/2/ipBlock/cidr|'10.0.0/8'|spec.ingress[0].from[2].ipBlock.cidr: Invalid value: \"10.0.0/8\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
      "/spec/ingress/0/from/2/ipBlock/except/0|'192.168.0.0/16'|spec.ingress[0].from[2].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`",
      "/spec/ingress/0/from/2/ipBlock/except/0|'10.0.0.0/8'|spec.ingress[0].from[2].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
      "/spec/ingress/0/from/2/ipBlock/cidr|''|spec.ingress[0].from[2].ipBlock.cidr: Required value",
      "/spec/ingress/0/from/2/podSelector|{}|spec.ingress[0].from[2]: Forbidden: may not specify both ipBlock and another peer",
      "/spec/ingress/0/from/0|{}|spec.ingress[0].from[0]: Required value: must specify a peer",
      "/spec/ingress/0/from/1/namespaceSelector/matchExpressions/0/operator|'Has'|spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator: Invalid value: \"Has\": not a valid selector operator",
      "/spec/podSelector/matchLabels|{'app':'a b'}|spec.podSelector.matchLabels: Invalid value: \"a b\"",
      "/spec/policyTypes|['Both']|spec.policyTypes[0]: Unsupported value: \"Both\": supported values: \"Ingress\", \"Egress\"",
      "/spec/policyTypes|['Ingress','Egress','Ingress']|spec.policyTypes: Invalid value: [\"Ingress\",\"Egress\",\"Ingress\"]: may not specify more than two policyTypes",
  })
  void invalidPoliciesGetKubesMessages(String pointer, String value, String message) {
    ObjectNode np = policy();
    set(np, pointer, value);
    StatusException e = catchThrowableOfType(StatusException.class, () -> Validator.validate(type("NetworkPolicy"), np, null));
    assertThat(e).as(pointer).isNotNull();
    assertThat(e.code()).isEqualTo(422);
    assertThat(e.getMessage()).contains(message);
  }

  @Test
  void ipv6BlocksAndPortWithoutNumber() {
    ObjectNode np = policy();
    set(np, "/spec/ingress/0/from/2/ipBlock", "{'cidr':'2001:db8::/32','except':['2001:db8:1::/48']}");
    set(np, "/spec/ingress/0/ports/0", "{'protocol':'TCP'}");
    assertThatCode(() -> Validator.validate(type("NetworkPolicy"), np, null)).doesNotThrowAnyException();
    set(np, "/spec/ingress/0/ports/0", "{'protocol':'TCP','endPort':90}");
    assertThat(catchThrowableOfType(StatusException.class, () -> Validator.validate(type("NetworkPolicy"), np, null)).getMessage())
        .contains("spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified");
  }
}
