/*
 * Test-only Groovy 2.4 syntax oracle for pipewright. A long-running JVM that parses (never runs)
 * Groovy sources up to Phases.CONVERSION with a CompilationUnit, i.e. lexing + parsing + AST
 * building, without class resolution (so `@Library('x') _` and unknown steps are fine, as in
 * Jenkins' own first pass). Started by test/groovy/global-setup.ts with the Java source launcher:
 *
 *   java -cp groovy.jar:antlr.jar:asm.jar test/groovy/GroovyParseServer.java
 *
 * COMPILE goes further, to Phases.CLASS_GENERATION (bytecode in memory, nothing written): the
 * phase Jenkins reaches when it runs a Jenkinsfile, where class-file limits apply (a string
 * constant of more than 65,535 bytes of modified UTF-8 fails there although the file parses).
 * Names must resolve by then, so only sources without unknown classes or annotations (no
 * `@Library`) compile; calls to unknown methods such as `pipeline`/`sh` are fine (dynamic).
 *
 * Protocol (stdin/stdout, one request and one response per line, strictly in turn):
 *   request   PARSE <name> <text> [<name> <text> ...]   parse each file independently
 *             COMPILE <name> <text> [<name> <text> ...] compile each file to CLASS_GENERATION
 *             CONSTANTS <text>                          parse one source, list its String constants
 *             every <name>/<text> is base64 of the UTF-16LE code units of the string, decoded here
 *             unit by unit so that lone surrogates survive (Java's charset decoders would replace
 *             them with U+FFFD).
 *   response  one line of JSON. Every char outside printable ASCII (and `"`, `\`) is written as
 *             \\uXXXX, so the line is pure ASCII and any UTF-16 string (NUL, CR, U+2028, lone
 *             surrogates) comes back exactly through JSON.parse.
 *     PARSE      {"results":[{"name":N,"ok":B,"errors":[{"line":L,"column":C,"message":M}]}]}
 *     COMPILE    the same shape as PARSE
 *     CONSTANTS  {"ok":true,"constants":[S...]}  or  {"ok":false,"errors":[...]}
 *     failure    {"failure":M}  (a bad request or a crash of this server, never a syntax error)
 * The server writes "READY <groovy version>" once warmed up. Anything Groovy itself prints goes
 * to stderr, so stdout carries only the protocol.
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.codehaus.groovy.ast.ClassCodeVisitorSupport;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.ModuleNode;
import org.codehaus.groovy.ast.expr.AttributeExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.GStringExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.MethodPointerExpression;
import org.codehaus.groovy.ast.expr.PropertyExpression;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.Phases;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.messages.ExceptionMessage;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SimpleMessage;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

public class GroovyParseServer {

  /** One syntax error; line/column are 1-based, 0 when Groovy gives no position. */
  record ParseError(int line, int column, String message) {}

  /** The outcome of parsing one source: its errors (empty when it parses) and its AST. */
  record Parsed(List<ParseError> errors, SourceUnit source) {}

  public static void main(String[] args) throws Exception {
    PrintStream protocolOut = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    // Nothing but protocol lines may reach stdout.
    System.setOut(System.err);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));

    // Warm up the parser so the first real request is not the slow one.
    parse("warmup.groovy", "@Library('x@1') _\npipeline { agent any\n stages { stage('a') { steps { sh 'x' } } } }\n");
    compile("warmup.groovy", "pipeline { agent any\n stages { stage('a') { steps { sh 'x' } } } }\n", Phases.CLASS_GENERATION);
    protocolOut.println("READY " + groovy.lang.GroovySystem.getVersion());

    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String response;
      try {
        response = handle(line);
      } catch (Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        response = "{\"failure\":" + json(trace.toString()) + "}";
      }
      protocolOut.println(response);
    }
  }

  static String handle(String line) {
    String[] parts = line.split(" ", -1);
    switch (parts[0]) {
      case "PARSE":
      case "COMPILE": {
        if (parts.length % 2 != 1) throw new IllegalArgumentException(parts[0] + " needs name/text pairs");
        int phase = parts[0].equals("PARSE") ? Phases.CONVERSION : Phases.CLASS_GENERATION;
        StringBuilder out = new StringBuilder("{\"results\":[");
        for (int i = 1; i < parts.length; i += 2) {
          String name = decode(parts[i]);
          Parsed parsed = compile(name, decode(parts[i + 1]), phase);
          if (i > 1) out.append(',');
          out.append("{\"name\":").append(json(name))
              .append(",\"ok\":").append(parsed.errors().isEmpty())
              .append(",\"errors\":").append(errorsJson(parsed.errors())).append('}');
        }
        return out.append("]}").toString();
      }
      case "CONSTANTS": {
        if (parts.length != 2) throw new IllegalArgumentException("CONSTANTS needs one text");
        Parsed parsed = parse("constants.groovy", decode(parts[1]));
        if (!parsed.errors().isEmpty()) {
          return "{\"ok\":false,\"errors\":" + errorsJson(parsed.errors()) + "}";
        }
        StringBuilder out = new StringBuilder("{\"ok\":true,\"constants\":[");
        List<String> constants = stringConstants(parsed.source());
        for (int i = 0; i < constants.size(); i++) {
          if (i > 0) out.append(',');
          out.append(json(constants.get(i)));
        }
        return out.append("]}").toString();
      }
      default:
        throw new IllegalArgumentException("unknown command: " + parts[0]);
    }
  }

  /** Parses (never runs) one source up to CONVERSION: syntax and AST construction only. */
  static Parsed parse(String name, String text) {
    return compile(name, text, Phases.CONVERSION);
  }

  /** Compiles (never runs, never writes) one source up to `phase` of Groovy's CompilationUnit. */
  static Parsed compile(String name, String text, int phase) {
    CompilationUnit unit = new CompilationUnit(new CompilerConfiguration());
    SourceUnit source = unit.addSource(name, text);
    List<ParseError> errors = new ArrayList<>();
    try {
      unit.compile(phase);
    } catch (MultipleCompilationErrorsException e) {
      for (Object m : e.getErrorCollector().getErrors()) errors.add(toError((Message) m));
    } catch (RuntimeException e) {
      // e.g. a GroovyBugError from the AST builder: still a reason the file does not compile.
      errors.add(new ParseError(0, 0, String.valueOf(e)));
    }
    return new Parsed(errors, source);
  }

  private static final Pattern POSITION_IN_TEXT = Pattern.compile("^(.*?)\\.? line: (\\d+) col:(\\d+)$", Pattern.DOTALL);

  static ParseError toError(Message message) {
    if (message instanceof SyntaxErrorMessage syntax) {
      SyntaxException cause = syntax.getCause();
      return new ParseError(cause.getLine(), cause.getStartColumn(), cause.getOriginalMessage());
    }
    if (message instanceof ExceptionMessage exception) {
      // Lexer I/O errors (e.g. a bad \\u escape from the UnicodeEscapingReader) carry their
      // position only in the text: "... line: 1 col:6".
      String text = String.valueOf(exception.getCause().getMessage());
      Matcher at = POSITION_IN_TEXT.matcher(text);
      if (at.find()) {
        return new ParseError(Integer.parseInt(at.group(2)), Integer.parseInt(at.group(3)), at.group(1));
      }
      return new ParseError(0, 0, String.valueOf(exception.getCause()));
    }
    if (message instanceof SimpleMessage simple) return new ParseError(0, 0, simple.getMessage());
    return new ParseError(0, 0, String.valueOf(message));
  }

  /**
   * Every String-valued ConstantExpression of the parsed source, in visiting order (roughly source
   * order): string literals wherever they occur (arguments, map values, closures, annotations such
   * as `@Library('x')`), and map keys / named-argument names (`[a: 1]` and `['a': 1]` are the
   * same AST). Not included: method names of calls and property names (identifiers, not
   * literals), and the literal fragments of a GString (only whole literals count).
   */
  static List<String> stringConstants(SourceUnit source) {
    List<String> found = new ArrayList<>();
    ClassCodeVisitorSupport visitor = new ClassCodeVisitorSupport() {
      @Override
      protected SourceUnit getSourceUnit() {
        return source;
      }

      @Override
      public void visitConstantExpression(ConstantExpression expression) {
        if (expression.getValue() instanceof String value) found.add(value);
      }

      @Override
      public void visitMethodCallExpression(MethodCallExpression call) {
        call.getObjectExpression().visit(this);
        visitUnlessConstant(call.getMethod());
        call.getArguments().visit(this);
      }

      @Override
      public void visitPropertyExpression(PropertyExpression expression) {
        expression.getObjectExpression().visit(this);
        visitUnlessConstant(expression.getProperty());
      }

      @Override
      public void visitAttributeExpression(AttributeExpression expression) {
        expression.getObjectExpression().visit(this);
        visitUnlessConstant(expression.getProperty());
      }

      @Override
      public void visitMethodPointerExpression(MethodPointerExpression expression) {
        expression.getExpression().visit(this);
        visitUnlessConstant(expression.getMethodName());
      }

      @Override
      public void visitGStringExpression(GStringExpression expression) {
        for (Expression value : expression.getValues()) value.visit(this);
      }

      private void visitUnlessConstant(Expression expression) {
        if (!(expression instanceof ConstantExpression)) expression.visit(this);
      }
    };
    ModuleNode module = source.getAST();
    for (ClassNode classNode : module.getClasses()) visitor.visitClass(classNode);
    return found;
  }

  /** Decodes base64 of UTF-16LE code units without validating surrogates. */
  static String decode(String base64) {
    byte[] bytes = Base64.getDecoder().decode(base64);
    if (bytes.length % 2 != 0) throw new IllegalArgumentException("odd UTF-16LE byte count");
    char[] chars = new char[bytes.length / 2];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) ((bytes[2 * i] & 0xff) | ((bytes[2 * i + 1] & 0xff) << 8));
    }
    return new String(chars);
  }

  static String errorsJson(List<ParseError> errors) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < errors.size(); i++) {
      ParseError e = errors.get(i);
      if (i > 0) out.append(',');
      out.append("{\"line\":").append(e.line()).append(",\"column\":").append(e.column())
          .append(",\"message\":").append(json(e.message())).append('}');
    }
    return out.append(']').toString();
  }

  /** A JSON string literal in pure printable ASCII: everything else as \\uXXXX, unit by unit. */
  static String json(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out.append(c);
      else out.append(String.format("\\u%04x", (int) c));
    }
    return out.append('"').toString();
  }
}
