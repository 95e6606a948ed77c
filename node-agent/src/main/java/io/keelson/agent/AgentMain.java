package io.keelson.agent;

/** Entry point (placeholder until the module lands). */
public final class AgentMain {
  public static void main(String[] args) {
    System.err.println("not implemented yet");
    System.exit(1);
  }
}
