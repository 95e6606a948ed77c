package io.keelson.apiserver.nodeservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodCidrAllocatorTest {
  @Test
  void handsOutEachSlash24OnceAndSkipsThoseInUse() {
    PodCidrAllocator a = new PodCidrAllocator();
    assertThat(a.allocate(List.of("10.244.0.0/24"))).isEqualTo("10.244.1.0/24");
    assertThat(a.allocate(List.of("10.244.0.0/24"))).isEqualTo("10.244.2.0/24"); // not stored yet, still not reused
    a.release("10.244.1.0/24");
    assertThat(a.allocate(List.of("10.244.0.0/24", "10.244.2.0/24"))).isEqualTo("10.244.1.0/24");
  }

  @Test
  void returnsNullWhenTheRangeIsFull() {
    PodCidrAllocator a = new PodCidrAllocator();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      all.add("10.244." + i + ".0/24");
    }
    assertThat(a.allocate(all)).isNull();
  }
}
