package io.keelson.cli;

/** Entry point (placeholder until the module lands). */
public final class Keelctl {
  public static void main(String[] args) {
    System.err.println("not implemented yet");
    System.exit(1);
  }
}
