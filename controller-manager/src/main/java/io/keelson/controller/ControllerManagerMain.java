package io.keelson.controller;

/** Entry point (placeholder until the module lands). */
public final class ControllerManagerMain {
  public static void main(String[] args) {
    System.err.println("not implemented yet");
    System.exit(1);
  }
}
