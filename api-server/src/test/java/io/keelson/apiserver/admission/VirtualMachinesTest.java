package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.status.StatusException.Cause;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** vm.keelson.io/v1alpha1 VirtualMachine: what the server fills in, and what it refuses with which message. */
class VirtualMachinesTest {

  static final ResourceType VM = ResourceRegistry.find("vm.keelson.io", "v1alpha1", "virtualmachines").orElseThrow();

  static ObjectNode vm(String spec) {
    return ValidatorTest.json("{'apiVersion':'vm.keelson.io/v1alpha1','kind':'VirtualMachine',"
        + "'metadata':{'name':'dos','namespace':'default'},'spec':" + spec + "}");
  }

  @Test
  void aVmWithOnlyItsDiskIsDefaultedToRunWithOneCpuAnd256Mi() {
    ObjectNode vm = vm("{'disk':{'image':'keelson.local/bootsector-disk:latest'}}");
    Defaulter.applyDefaults(VM, vm, null, ip -> false);
    assertThat(vm.at("/spec/running").asBoolean()).isTrue();
    assertThat(vm.at("/spec/cpus").asInt()).isEqualTo(1);
    assertThat(vm.at("/spec/memory").asString()).isEqualTo("256Mi");
    assertThat(vm.at("/spec/firmware").asString()).isEqualTo("bios");
    assertThat(vm.at("/spec/terminationGracePeriodSeconds").asLong()).isEqualTo(30);
    assertThat(vm.at("/spec/disk/imagePullPolicy").asString()).isEqualTo("Always");
    assertThatCode(() -> Validator.validate(VM, vm, null)).doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{'disk':{}}|spec.disk.image|Required value: the OCI image that holds the VM's disk",
      "{'disk':{'image':'x'},'cpus':0}|spec.cpus|Invalid value: 0: must be between 1 and 64",
      "{'disk':{'image':'x'},'memory':'1Mi'}|spec.memory|Invalid value: \"1Mi\": must be at least 16Mi",
      "{'disk':{'image':'x'},'memory':'lots'}|spec.memory|Invalid value: \"lots\": quantities must match",
      "{'disk':{'image':'x'},'firmware':'efi'}|spec.firmware|Unsupported value: \"efi\": supported values: \"bios\"",
      "{'disk':{'image':'x','imagePullPolicy':'Sometimes'}}|spec.disk.imagePullPolicy|Unsupported value: \"Sometimes\"",
      "{'disk':{'image':'x'},'terminationGracePeriodSeconds':-1}|spec.terminationGracePeriodSeconds|Invalid value: -1",
  })
  void badSpecsAreRefusedWithTheFieldAndWhatToFix(String spec, String field, String message) {
    StatusException e = null;
    try {
      Validator.validate(VM, vm(spec), null);
    } catch (StatusException x) {
      e = x;
    }
    assertThat(e).as("refused").isNotNull();
    assertThat(e.code()).isEqualTo(422);
    assertThat(e.causes()).extracting(Cause::field).contains(field);
    assertThat(e.getMessage()).contains(field + ": " + message);
  }
}
