package io.keelson.apiserver.model.vm.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.ListMeta;
import java.util.List;

/** A list of VirtualMachines. */
public class VirtualMachineList {
  @JsonProperty("apiVersion") String apiVersion;
  @JsonProperty("kind") String kind;
  @JsonProperty("metadata") ListMeta metadata;
  @JsonProperty("items") List<VirtualMachine> items;
}
