package io.keelson.apiserver.nodeservice;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Which pod changes the assignment stream leaves out: only the echo of a status write. */
class AssignmentEchoTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static ObjectNode pod(String json) {
    return (ObjectNode) JSON.readTree(json.replace('\'', '"'));
  }

  private static final String BOUND =
      "{'metadata':{'name':'p','uid':'u','resourceVersion':'5','labels':{'a':'b'},'managedFields':[{'manager':'x'}]},"
          + "'spec':{'nodeName':'n1','containers':[{'name':'c'}]},'status':{'phase':'Pending'}}";

  @Test
  void aStatusWriteIsAnEcho() {
    ObjectNode after = pod(BOUND.replace("'5'", "'6'").replace("Pending", "Running")
        .replace("[{'manager':'x'}]", "[{'manager':'x'},{'manager':'agent'}]"));
    assertThat(NodeServiceImpl.onlyStatusChanged(pod(BOUND), after)).isTrue();
  }

  @Test
  void specLabelsAndDeletionAreNot() {
    assertThat(NodeServiceImpl.onlyStatusChanged(pod(BOUND), pod(BOUND.replace("'c'", "'d'")))).isFalse();
    assertThat(NodeServiceImpl.onlyStatusChanged(pod(BOUND), pod(BOUND.replace("'b'", "'c'")))).isFalse();
    assertThat(NodeServiceImpl.onlyStatusChanged(pod(BOUND),
        pod(BOUND.replace("'uid':'u',", "'uid':'u','deletionTimestamp':'2026-01-01T00:00:00Z',")))).isFalse();
    assertThat(NodeServiceImpl.onlyStatusChanged(null, pod(BOUND))).isFalse();
  }
}
