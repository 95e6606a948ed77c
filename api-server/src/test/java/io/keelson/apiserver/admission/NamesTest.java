package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written name matchers accept exactly what Kubernetes' regexes accept. */
class NamesTest {

  private static final String ALPHABET = "abzAZ09-._/x";

  @Test
  void matchersAgreeWithTheDocumentedRegexes() {
    Pattern label = Pattern.compile("^" + Names.DNS1123_LABEL_FMT + "$");
    Pattern subdomain = Pattern.compile("^" + Names.DNS1123_SUBDOMAIN_FMT + "$");
    Pattern qualified = Pattern.compile("^" + Names.QUALIFIED_NAME_FMT + "$");
    Random r = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = r.nextInt(8);
      for (int j = 0; j < len; j++) sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      String v = sb.toString();
      assertThat(Names.isDns1123Label(v, 0, v.length())).as("label %s", v).isEqualTo(label.matcher(v).matches());
      assertThat(Names.isDns1123Subdomain(v)).as("subdomain %s", v).isEqualTo(subdomain.matcher(v).matches());
      assertThat(Names.isQualifiedName(v)).as("qualified name %s", v).isEqualTo(qualified.matcher(v).matches());
    }
  }

  @Test
  void messagesStayKubernetesOwn() {
    assertThat(Names.dns1123Subdomain("Bad_Name")).singleElement().asString()
        .contains("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters");
    assertThat(Names.dns1123Subdomain("good.name-1")).isEmpty();
    assertThat(Names.dns1123Label("a.b")).hasSize(1);
  }
}
