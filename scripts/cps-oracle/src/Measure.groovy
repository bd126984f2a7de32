// The CPS method-size oracle: compiles Jenkinsfiles the way a Jenkins controller does (groovy-cps'
// SandboxCpsTransformer, Groovy 2.4.21, to class generation) and prints the bytecode length of
// every generated method as JSON. Not part of pipewright's build or CI: see scripts/cps-oracle/build.sh
// and .notes/ORACLE.md.
//
// Usage: java -cp ... Measure [--mode declarative|plain|both] FILE...
//   declarative: first rewrite `pipeline { }` into Declarative's run-time constructor tree
//                (DeclarativeApproximation, what RuntimeASTTransformer does with script splitting off)
//   plain:       CPS-transform the Jenkinsfile as written (no Declarative rewrite)
import com.cloudbees.groovy.cps.SandboxCpsTransformer
import com.cloudbees.groovy.cps.TransformerConfiguration
import groovy.json.JsonOutput
import groovyjarjarasm.asm.ClassWriter
import groovyjarjarasm.asm.MethodTooLargeException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.customizers.ImportCustomizer
import groovyjarjarasm.asm.ClassVisitor

class Measure {
    static void main(String[] args) {
        List<String> files = []
        List<String> modes = ['declarative', 'plain']
        for (int i = 0; i < args.length; i++) {
            if (args[i] == '--mode') {
                String m = args[++i]
                modes = m == 'both' ? ['declarative', 'plain'] : [m]
            } else files << args[i]
        }
        if (!files) {
            System.err.println('usage: measure.sh [--mode declarative|plain|both] FILE...')
            System.exit(2)
        }
        Map out = [:]
        int failures = 0
        files.each { String path ->
            String text = new File(path).getText('UTF-8')
            Map perMode = [:]
            modes.each { String mode ->
                try {
                    perMode[mode] = measure(text, mode == 'declarative')
                } catch (Throwable e) {
                    failures++
                    perMode[mode] = [error: e.toString().take(2000)]
                }
            }
            out[path] = perMode
        }
        println JsonOutput.prettyPrint(JsonOutput.toJson(out))
        System.exit(failures ? 1 : 0)
    }

    /** Compiles one script to class generation; returns the method sizes and the largest. */
    static Map measure(String text, boolean declarative) {
        CompilerConfiguration cc = new CompilerConfiguration()
        // What CpsGroovyShellFactory configures (workflow-cps): imports, the CPS+sandbox transformer,
        // the CpsScript base class. Declarative adds its model rewrite at SEMANTIC_ANALYSIS.
        ImportCustomizer ic = new ImportCustomizer()
        ic.addStarImports('com.cloudbees.groovy.cps', 'hudson.model', 'jenkins.model', 'org.jenkinsci.plugins.workflow.libs')
        cc.addCompilationCustomizers(ic)
        SandboxCpsTransformer cps = new SandboxCpsTransformer()
        cps.setConfiguration(new TransformerConfiguration()
                .withClosureType(org.jenkinsci.plugins.workflow.cps.CpsClosure2)
                .withSafepoint(org.jenkinsci.plugins.workflow.cps.Safepoint, 'safepoint'))
        cc.addCompilationCustomizers(cps)
        if (declarative) cc.addCompilationCustomizers(new DeclarativeApproximation())
        cc.scriptBaseClass = 'org.jenkinsci.plugins.workflow.cps.CpsScript'

        Map<String, Object> sizes = new LinkedHashMap<>()
        List<String> tooLarge = []
        CompilationUnit cu = new SizingCompilationUnit(cc, sizes, tooLarge)
        cu.addSource('WorkflowScript', text)
        try {
            cu.compile(Phases.CLASS_GENERATION)
        } catch (MultipleCompilationErrorsException e) {
            throw new RuntimeException(e.message.take(2000))
        }
        def largest = sizes.max { it.value }
        return [largest: largest?.value, method: largest?.key, overLimit: tooLarge, methods: sizes]
    }
}

/** A CompilationUnit whose class writer records each method's Code length. */
class SizingCompilationUnit extends CompilationUnit {
    final Map<String, Object> sizes
    final List<String> tooLarge

    SizingCompilationUnit(CompilerConfiguration cc, Map<String, Object> sizes, List<String> tooLarge) {
        super(cc)
        this.sizes = sizes
        this.tooLarge = tooLarge
    }

    @Override
    protected ClassVisitor createClassVisitor() {
        return new SizingClassWriter(sizes, tooLarge)
    }
}

/**
 * Records exact Code lengths from the written class file. A method over 65,535 bytes makes ASM
 * refuse the class: then only that method's size is known (from the exception), and it is listed
 * in `overLimit`; the class's other methods are not reported.
 */
class SizingClassWriter extends ClassWriter {
    final Map<String, Object> sizes
    final List<String> tooLarge

    SizingClassWriter(Map<String, Object> sizes, List<String> tooLarge) {
        super(ClassWriter.COMPUTE_MAXS)
        this.sizes = sizes
        this.tooLarge = tooLarge
    }

    @Override
    byte[] toByteArray() {
        try {
            byte[] bytes = super.toByteArray()
            String dump = System.getenv('CPS_ORACLE_DUMP_DIR') // set to keep the class files (javap -c -p)
            if (dump) {
                def names = ClassFileCodeLengths.read(bytes).keySet()
                String cls = names ? names.first().substring(0, names.first().indexOf('.')) : 'unknown'
                new File(dump).mkdirs()
                new File(dump, cls.replace('/', '_') + '.class').bytes = bytes
            }
            ClassFileCodeLengths.read(bytes).each { k, v -> sizes[k] = v }
            return bytes
        } catch (MethodTooLargeException e) {
            String key = "${e.className}.${e.methodName}${e.descriptor}".toString()
            sizes[key] = e.codeSize
            tooLarge << key
            return new byte[0]
        }
    }
}

/** Reads `name+descriptor -> Code attribute length` from a class file. */
class ClassFileCodeLengths {
    static Map<String, Integer> read(byte[] b) {
        DataInputStream d = new DataInputStream(new ByteArrayInputStream(b))
        d.readInt(); d.readUnsignedShort(); d.readUnsignedShort()
        int cpCount = d.readUnsignedShort()
        String[] utf = new String[cpCount]
        Map<Integer, Integer> classRefs = [:]
        for (int i = 1; i < cpCount; i++) {
            int tag = d.readUnsignedByte()
            switch (tag) {
                case 1: utf[i] = d.readUTF(); break
                case 3: case 4: d.skipBytes(4); break
                case 5: case 6: d.skipBytes(8); i++; break
                case 7: classRefs[i] = d.readUnsignedShort(); break
                case 8: case 16: case 19: case 20: d.skipBytes(2); break
                case 9: case 10: case 11: case 12: case 17: case 18: d.skipBytes(4); break
                case 15: d.skipBytes(3); break
                default: throw new IllegalStateException("constant pool tag ${tag}")
            }
        }
        d.skipBytes(2)
        int thisClass = d.readUnsignedShort()
        d.skipBytes(2)
        d.skipBytes(2 * d.readUnsignedShort())
        Map<Integer, String> classNames = [(thisClass): utf[classRefs[thisClass]]]
        int fields = d.readUnsignedShort()
        for (int f = 0; f < fields; f++) {
            d.skipBytes(6)
            skipAttributes(d)
        }
        Map<String, Integer> result = new LinkedHashMap<>()
        int methods = d.readUnsignedShort()
        for (int m = 0; m < methods; m++) {
            d.skipBytes(2)
            String name = utf[d.readUnsignedShort()]
            String desc = utf[d.readUnsignedShort()]
            int attrs = d.readUnsignedShort()
            for (int a = 0; a < attrs; a++) {
                String attrName = utf[d.readUnsignedShort()]
                int len = d.readInt()
                if (attrName == 'Code') {
                    d.skipBytes(4)
                    result["${classNames[thisClass]}.${name}${desc}".toString()] = d.readInt()
                    d.skipBytes(len - 8)
                } else d.skipBytes(len)
            }
        }
        return result
    }

    static void skipAttributes(DataInputStream d) {
        int n = d.readUnsignedShort()
        for (int i = 0; i < n; i++) {
            d.skipBytes(2)
            d.skipBytes(d.readInt())
        }
    }
}
