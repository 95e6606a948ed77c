package io.keelson.apiserver.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a write gets the current lease and when a new one: kube-apiserver's lease reuse rules. */
class ObjectLeasesTest {

  private long now;
  private final List<Long> granted = new ArrayList<>(); // the TTL of each grant, lease id = index + 1
  private final ObjectLeases leases = new ObjectLeases(ttl -> {
    granted.add(ttl);
    return granted.size();
  }, () -> now);

  private void advanceSeconds(long s) {
    now += TimeUnit.SECONDS.toNanos(s);
  }

  @Test
  void writesWithinTheReuseWindowShareOneLeaseGrantedForTtlPlusTheWindow() throws Exception {
    long first = leases.leaseFor(3600); // the window: 5 % of an hour, at most 60 s
    assertThat(granted).containsExactly(3660L);
    advanceSeconds(59);
    assertThat(leases.leaseFor(3600)).isEqualTo(first);
    advanceSeconds(2); // the lease would now outlive a new object by less than the TTL asked for
    assertThat(leases.leaseFor(3600)).isNotEqualTo(first);
    assertThat(granted).containsExactly(3660L, 3660L);
  }

  @Test
  void aShortTtlHasNoWindowSoEveryLaterWriteGetsItsOwnLease() throws Exception {
    long a = leases.leaseFor(10);
    advanceSeconds(1);
    long b = leases.leaseFor(10);
    assertThat(a).isNotEqualTo(b);
    assertThat(granted).containsExactly(10L, 10L);
  }

  @Test
  void oneLeaseCarriesAtMostAThousandObjects() throws Exception {
    for (int i = 0; i < 1000; i++) assertThat(leases.leaseFor(3600)).isEqualTo(1);
    assertThat(leases.leaseFor(3600)).isEqualTo(2);
  }

  @Test
  void anotherTtlGetsItsOwnLease() throws Exception {
    leases.leaseFor(3600);
    assertThat(leases.leaseFor(600)).isEqualTo(2); // a shorter TTL: the hour's lease would keep it too long
    assertThat(granted).containsExactly(3660L, 630L);
  }

  @Test
  void aForgottenLeaseIsNotHandedOutAgain() throws Exception {
    long a = leases.leaseFor(3600);
    leases.forget(a);
    assertThat(leases.leaseFor(3600)).isNotEqualTo(a);
  }
}
