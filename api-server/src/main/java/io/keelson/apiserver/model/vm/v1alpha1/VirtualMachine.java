package io.keelson.apiserver.model.vm.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/** A virtual machine booted from a disk image of its own (served as vm.keelson.io/v1alpha1 VirtualMachine). */
public class VirtualMachine {
  public static final String GROUP = "vm.keelson.io";
  public static final String VERSION = "v1alpha1";

  @JsonProperty("apiVersion") String apiVersion;
  @JsonProperty("kind") String kind;
  @JsonProperty("metadata") ObjectMeta metadata;
  @JsonProperty("spec") VirtualMachineSpec spec;
  @JsonProperty("status") VirtualMachineStatus status;
}
