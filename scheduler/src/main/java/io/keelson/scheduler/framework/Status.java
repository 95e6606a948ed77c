package io.keelson.scheduler.framework;

import java.util.List;

/**
 * Result of a plugin call. Expected rejections are values (with human reasons such as
 * "Insufficient cpu"), not exceptions. Instances are immutable so plugins can keep constants and
 * avoid allocating on the hot path.
 */
public final class Status {
  public static final Status SUCCESS = new Status(Code.SUCCESS, List.of());
  public static final Status SKIP = new Status(Code.SKIP, List.of());

  private final Code code;
  private final List<String> reasons;

  private Status(Code code, List<String> reasons) {
    this.code = code;
    this.reasons = reasons;
  }

  public static Status unschedulable(String... reasons) {
    return new Status(Code.UNSCHEDULABLE, List.of(reasons));
  }

  public static Status unschedulable(List<String> reasons) {
    return new Status(Code.UNSCHEDULABLE, List.copyOf(reasons));
  }

  /** Rejection that preemption cannot fix on this node. */
  public static Status unresolvable(String... reasons) {
    return new Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, List.of(reasons));
  }

  public static Status error(String message) {
    return new Status(Code.ERROR, List.of(message));
  }

  public Code code() {
    return code;
  }

  public List<String> reasons() {
    return reasons;
  }

  public boolean isSuccess() {
    return code == Code.SUCCESS;
  }

  public boolean isSkip() {
    return code == Code.SKIP;
  }

  /** Unschedulable or unresolvable: a verdict about the pod, not a failure of the scheduler. */
  public boolean isRejected() {
    return code == Code.UNSCHEDULABLE || code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE;
  }

  public String message() {
    return String.join(", ", reasons);
  }

  @Override
  public String toString() {
    return code + (reasons.isEmpty() ? "" : ": " + message());
  }
}
