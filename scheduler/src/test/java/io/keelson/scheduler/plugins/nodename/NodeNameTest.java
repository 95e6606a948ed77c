package io.keelson.scheduler.plugins.nodename;

import static io.keelson.scheduler.testing.Fixtures.info;
import static io.keelson.scheduler.testing.Fixtures.node;
import static io.keelson.scheduler.testing.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.scheduler.framework.CycleState;
import io.keelson.scheduler.framework.NodeInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeNameTest {
  @ParameterizedTest(name = "spec.nodeName={0} on n1 fits={1}")
  @CsvSource({"'',true", "n1,true", "n2,false"})
  void filter(String wanted, boolean fits) {
    var p = info(pod("p", "1", null).editSpec().withNodeName(wanted.isEmpty() ? null : wanted).endSpec());
    var s = new NodeName().filter(new CycleState(), p, NodeInfo.of(node("n1", "4", "8Gi")));
    assertThat(s.isSuccess()).isEqualTo(fits);
    if (!fits) {
      assertThat(s.message()).isEqualTo("node(s) didn't match the requested node name");
    }
  }
}
