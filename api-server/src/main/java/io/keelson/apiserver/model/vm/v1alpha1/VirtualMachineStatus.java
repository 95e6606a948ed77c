package io.keelson.apiserver.model.vm.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the VM is doing, mirrored from its pod by the controller-manager's virtualmachine controller. */
public class VirtualMachineStatus {
  @JsonProperty("printableStatus") String printableStatus;
  @JsonProperty("ready") Boolean ready;
  @JsonProperty("nodeName") String nodeName;
  @JsonProperty("ipAddress") String ipAddress;
  @JsonProperty("podName") String podName;
  @JsonProperty("conditions") List<Condition> conditions;
}
