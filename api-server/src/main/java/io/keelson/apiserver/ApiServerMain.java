package io.keelson.apiserver;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class ApiServerMain {
  public static void main(String[] args) {
    SpringApplication.run(ApiServerMain.class, args);
  }
}
