/*
 * Parses each file given on the command line with Groovy 2.4.21 up to Phases.CONVERSION (as the
 * test oracle does), on a thread with a 1 GB stack, and prints one line per file: "OK", or
 * "ERROR <message>", or "STACK" when even that stack overflows. Deeply nested files overflow the
 * shared oracle's default 1 MB stack; this answers what Groovy's grammar accepts.
 */
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.Phases;

public class GroovyDeepParse {
  public static void main(String[] args) throws Exception {
    Thread thread = new Thread(null, () -> {
      for (String file : args) {
        String line;
        try {
          String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
          CompilationUnit unit = new CompilationUnit(new CompilerConfiguration());
          unit.addSource(Path.of(file).getFileName().toString(), text);
          unit.compile(Phases.CONVERSION);
          line = "OK";
        } catch (StackOverflowError e) {
          line = "STACK";
        } catch (Throwable e) {
          line = "ERROR " + String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
        }
        System.out.println(line);
      }
    }, "deep-parse", 1L << 30);
    thread.start();
    thread.join();
  }
}
