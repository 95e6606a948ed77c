package io.keelson.scheduler;

/** Entry point (placeholder until the module lands). */
public final class SchedulerMain {
  public static void main(String[] args) {
    System.err.println("not implemented yet");
    System.exit(1);
  }
}
