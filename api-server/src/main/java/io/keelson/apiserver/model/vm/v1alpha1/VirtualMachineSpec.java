package io.keelson.apiserver.model.vm.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.Quantity;

/** What the VM is: its disk, size and firmware, and whether it should run. */
public class VirtualMachineSpec {
  @JsonProperty("running") Boolean running;
  @JsonProperty("cpus") Integer cpus;
  @JsonProperty("memory") Quantity memory;
  @JsonProperty("disk") VirtualMachineDisk disk;
  @JsonProperty("firmware") String firmware;
  @JsonProperty("terminationGracePeriodSeconds") Long terminationGracePeriodSeconds;
}
