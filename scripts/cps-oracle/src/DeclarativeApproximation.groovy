// An approximation of Declarative's RuntimeASTTransformer (pipeline-model-definition, script splitting
// off, the default): rewrites `pipeline { ... }` into `pipeline({ return new Root(...) })` with the
// same constructor tree shapes (Root/Stages/Stage/Agent/PostStage/StageConditionals/Environment/...),
// so that groovy-cps then sees roughly the nodes a controller's compiler sees.
//
// It works from the Groovy AST alone: the real transformer asks the controller which names are job
// properties, declarative options, step wrappers and `when` conditions (SymbolLookup/DescriptorLookupCache);
// here fixed name tables stand in for those lookups. See .notes/ORACLE.md for what is left out.
import org.codehaus.groovy.ast.ClassHelper
import org.codehaus.groovy.ast.ClassNode
import org.codehaus.groovy.ast.DynamicVariable
import org.codehaus.groovy.ast.MethodNode
import org.codehaus.groovy.ast.Parameter
import org.codehaus.groovy.ast.expr.*
import org.codehaus.groovy.ast.stmt.*
import org.codehaus.groovy.classgen.GeneratorContext
import org.codehaus.groovy.classgen.VariableScopeVisitor
import org.codehaus.groovy.control.CompilePhase
import org.codehaus.groovy.control.SourceUnit
import org.codehaus.groovy.control.customizers.CompilationCustomizer
import org.codehaus.groovy.syntax.Token
import org.codehaus.groovy.syntax.Types

import static org.codehaus.groovy.ast.tools.GeneralUtils.*

class DeclarativeApproximation extends CompilationCustomizer {
    static final String MODEL = 'org.jenkinsci.plugins.pipeline.modeldefinition.model.'
    static final String PKG = 'org.jenkinsci.plugins.pipeline.modeldefinition.'
    static final String ANON = '$$anonymous' // UninstantiatedDescribable.ANONYMOUS_KEY

    // Stand-ins for the controller's descriptor lookups (names pipewright and common Jenkinsfiles use).
    static final Set<String> JOB_PROPERTIES = ['buildDiscarder', 'disableConcurrentBuilds', 'disableResume',
        'durabilityHint', 'rateLimitBuilds', 'copyArtifactPermission', 'overrideIndexTriggers', 'githubProjectProperty',
        'pipelineTriggers', 'parameters'] as Set
    static final Set<String> DECLARATIVE_OPTIONS = ['skipDefaultCheckout', 'skipStagesAfterUnstable',
        'checkoutToSubdirectory', 'newContainerPerStage', 'preserveStashes', 'quietPeriod', 'parallelsAlwaysFailFast',
        'disableRestartFromStage'] as Set
    static final Map<String, Integer> COMBINING_CONDITIONS = [allOf: 2, anyOf: 2, not: 1]

    private final Set<String> handleNames = new HashSet<>()
    private final List<Statement> handles = []

    DeclarativeApproximation() { super(CompilePhase.SEMANTIC_ANALYSIS) }

    @Override
    void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
        if (!classNode.isScript()) return
        def module = source.AST
        MethodCallExpression pipelineCall = null
        module.statementBlock.statements.each { s ->
            def mce = matchCall(s)
            if (mce != null && mce.methodAsString == 'pipeline' && closureArg(mce) != null) pipelineCall = mce
        }
        if (pipelineCall == null) return
        Expression root = transformRoot(closureArg(pipelineCall))
        BlockStatement pipelineBlock = block()
        if (!handles.isEmpty()) {
            boolean scriptHasDeclarations = module.statementBlock.statements.any {
                it instanceof ExpressionStatement && ((ExpressionStatement) it).expression instanceof DeclarationExpression
            }
            BlockStatement handleBlock = block()
            handles.each { handleBlock.addStatement(it) }
            if (scriptHasDeclarations) {
                // declareClosureScopedHandles: `{ handles }.call()` inside the pipeline closure
                pipelineBlock.addStatement(stmt(callX(closureX(handleBlock), 'call')))
            } else {
                // declareFunctionGroupedHandles: a script method (its own CPS method) called from the closure
                String name = uniqueName('Declaration')
                MethodNode method = new MethodNode(name, 1, ClassHelper.VOID_TYPE, [] as Parameter[], [] as ClassNode[], handleBlock)
                module.scriptClassDummy.addMethod(method)
                pipelineBlock.addStatement(stmt(callThisX(name)))
            }
        }
        pipelineBlock.addStatement(returnS(root))
        pipelineCall.arguments = args(closureX(pipelineBlock))
        new VariableScopeVisitor(source).visitClass(module.scriptClassDummy)
    }

    // ------------------------------------------------------------------ helpers

    static MethodCallExpression matchCall(Statement s) {
        if (s instanceof ExpressionStatement && ((ExpressionStatement) s).expression instanceof MethodCallExpression) {
            return (MethodCallExpression) ((ExpressionStatement) s).expression
        }
        return null
    }

    static List<Expression> callArgs(MethodCallExpression mce) {
        return mce.arguments instanceof TupleExpression ? ((TupleExpression) mce.arguments).expressions : [mce.arguments]
    }

    static ClosureExpression closureArg(MethodCallExpression mce) {
        def a = callArgs(mce)
        return a && a.last() instanceof ClosureExpression ? (ClosureExpression) a.last() : null
    }

    static List<Statement> statements(ClosureExpression c) {
        if (c == null) return []
        return c.code instanceof BlockStatement ? ((BlockStatement) c.code).statements : [c.code]
    }

    /** The `name { ... }` / `name(...)` calls of a block, by name (first wins, as the parser rejects duplicates). */
    static Map<String, MethodCallExpression> sections(ClosureExpression c) {
        Map<String, MethodCallExpression> m = new LinkedHashMap<>()
        statements(c).each { s ->
            def mce = matchCall(s)
            if (mce != null && !m.containsKey(mce.methodAsString)) m[mce.methodAsString] = mce
        }
        return m
    }

    static ClassNode model(String simpleName) { ClassHelper.make(MODEL + simpleName) }

    static Expression ctor(String simpleName, List<Expression> a) { ctorX(model(simpleName), args(a)) }

    static Expression closureReturning(Expression e) { closureX(block(returnS(e))) }

    static Expression stepsBlock(ClosureExpression body) {
        callX(ClassHelper.make(PKG + 'Utils'), 'createStepsBlock', args(body))
    }

    static Expression instantiate(String symbol, Expression argMap) {
        callX(ClassHelper.make(PKG + 'CommonUtils'), 'instantiateDescribable',
            args(classX(ClassHelper.make('describable.' + symbol)), argMap))
    }

    private String uniqueName(String group) {
        String name = "__model__${group}_${handleNames.size()}_${Math.abs(Objects.hash(group, handleNames.size()))}__"
        handleNames.add(name)
        return name
    }

    // ------------------------------------------------------------------ describables

    /** ASTParserUtils.argsMap */
    static Expression argsMap(List<Expression> a) {
        MapExpression m = new MapExpression()
        a.each { arg ->
            if (arg instanceof MapExpression) {
                ((MapExpression) arg).mapEntryExpressions.each { e ->
                    if (e.valueExpression instanceof MethodCallExpression) {
                        m.addMapEntryExpression(e.keyExpression, methodCallToDescribable((MethodCallExpression) e.valueExpression))
                    } else m.addMapEntryExpression(e)
                }
            } else if (arg instanceof MethodCallExpression) {
                m.addMapEntryExpression(constX(ANON), methodCallToDescribable((MethodCallExpression) arg))
            } else {
                m.addMapEntryExpression(constX(ANON), arg)
            }
        }
        return m
    }

    /** ASTParserUtils.methodCallToDescribable for a non-step describable. */
    static Expression methodCallToDescribable(MethodCallExpression mce) {
        return instantiate(mce.methodAsString, argsMap(callArgs(mce)))
    }

    static Expression listOfDescribables(List<MethodCallExpression> calls) {
        return new ListExpression(calls.collect { methodCallToDescribable(it) } as List<Expression>)
    }

    static List<MethodCallExpression> callsIn(MethodCallExpression section) {
        if (section == null) return []
        return statements(closureArg(section)).collect { matchCall(it) }.findAll { it != null }
    }

    // ------------------------------------------------------------------ sections

    Expression transformRoot(ClosureExpression body) {
        def s = sections(body)
        return ctor('Root', [
            transformAgent(s.agent),
            transformStages(s.stages, 'Stages'),
            transformPost(s.post, 'PostBuild'),
            transformEnvironment(s.environment),
            transformTools(s.tools),
            transformOptions(s.options, false),
            describableContainer(s.triggers, 'Triggers'),
            describableContainer(s.parameters, 'Parameters'),
            transformLibraries(s.libraries),
            constX(UUID.nameUUIDFromBytes('stages'.bytes).toString()),
        ])
    }

    Expression describableContainer(MethodCallExpression section, String container) {
        def calls = callsIn(section)
        if (calls.isEmpty()) return constX(null)
        return ctor(container, [listOfDescribables(calls)])
    }

    Expression transformLibraries(MethodCallExpression section) {
        def calls = callsIn(section)
        if (calls.isEmpty()) return constX(null)
        return ctor('Libraries', [new ListExpression(calls.collect { callArgs(it)[0] } as List<Expression>)])
    }

    /** RuntimeASTTransformer.transformAgent + ASTParserUtils.recurseAndTransformMappedClosure */
    Expression transformAgent(MethodCallExpression agent) {
        if (agent == null) return constX(null)
        def a = callArgs(agent)
        MapExpression m
        ClosureExpression body = closureArg(agent)
        if (body != null) {
            m = mappedClosure(body)
        } else {
            m = new MapExpression()
            String type = a[0] instanceof VariableExpression ? ((VariableExpression) a[0]).name : a[0].text
            m.addMapEntryExpression(constX(type), constX(true))
        }
        return ctor('Agent', [closureReturning(m)])
    }

    static MapExpression mappedClosure(ClosureExpression body) {
        MapExpression m = new MapExpression()
        statements(body).each { s ->
            def mce = matchCall(s)
            if (mce == null) return
            def a = callArgs(mce)
            if (a.size() == 1) {
                if (a[0] instanceof ClosureExpression) m.addMapEntryExpression(mce.method, mappedClosure((ClosureExpression) a[0]))
                else m.addMapEntryExpression(mce.method, a[0])
            }
        }
        return m
    }

    Expression transformStages(MethodCallExpression stagesCall, String container) {
        def stages = callsIn(stagesCall).findAll { it.methodAsString == 'stage' }
        if (stages.isEmpty()) return constX(null)
        return ctor(container, [new ListExpression(stages.collect { transformStage(it) } as List<Expression>)])
    }

    Expression transformStage(MethodCallExpression stage) {
        def a = callArgs(stage)
        Expression name = a[0] instanceof ConstantExpression ? a[0] : constX(a[0].text)
        def s = sections(closureArg(stage))
        Expression parallel = s.parallel != null ? transformStages(s.parallel, 'Parallel') : transformMatrix(s.matrix)
        return ctor('Stage', [
            name,
            s.steps != null ? stepsBlock(closureArg(s.steps)) : constX(null),
            transformAgent(s.agent),
            transformPost(s.post, 'PostStage'),
            transformWhen(s.when),
            transformTools(s.tools),
            transformEnvironment(s.environment),
            constX(s.failFast != null ? (callArgs(s.failFast)[0] as ConstantExpression).value : false),
            transformOptions(s.options, true),
            transformInput(s.input, name),
            transformStages(s.stages, 'Stages'),
            parallel,
            constX(null),
        ])
    }

    Expression transformPost(MethodCallExpression post, String container) {
        def conditions = callsIn(post)
        if (conditions.isEmpty()) return constX(null)
        MapExpression m = new MapExpression()
        conditions.each { c -> m.addMapEntryExpression(constX(c.methodAsString), stepsBlock(closureArg(c))) }
        return ctor(container, [m])
    }

    Expression transformTools(MethodCallExpression tools) {
        def calls = callsIn(tools)
        if (calls.isEmpty()) return constX(null)
        MapExpression m = new MapExpression()
        calls.each { c -> m.addMapEntryExpression(constX(c.methodAsString), closureReturning(callArgs(c)[0])) }
        return ctor('Tools', [m])
    }

    /** transformEnvironment: two EnvironmentResolvers, plain values and credentials(...) values. */
    Expression transformEnvironment(MethodCallExpression env) {
        if (env == null) return constX(null)
        Map<String, Expression> values = new LinkedHashMap<>()
        statements(closureArg(env)).each { s ->
            if (s instanceof ExpressionStatement && ((ExpressionStatement) s).expression instanceof BinaryExpression) {
                def be = (BinaryExpression) ((ExpressionStatement) s).expression
                if (be.operation.type == Types.ASSIGN && be.leftExpression instanceof VariableExpression) {
                    values[((VariableExpression) be.leftExpression).name] = be.rightExpression
                }
            }
        }
        if (values.isEmpty()) return constX(null)
        return environmentFrom(values, false)
    }

    Expression environmentFrom(Map<String, Expression> values, boolean cell) {
        Set<String> keys = values.findAll { k, v -> !isCredentials(v) }.keySet()
        MapExpression plain = new MapExpression()
        MapExpression creds = new MapExpression()
        values.each { k, v ->
            if (isCredentials(v)) {
                def ca = callArgs((MethodCallExpression) v)
                creds.addMapEntryExpression(constX(k), asClosure(translate(k, ca.size() == 1 ? ca[0] : v, keys)))
            } else {
                plain.addMapEntryExpression(constX(k), asClosure(translate(k, v, keys)))
            }
        }
        ClassNode resolver = ClassHelper.make(MODEL + 'Environment$EnvironmentResolver')
        return ctor('Environment', [callX(resolver, 'instanceFromMap', args(plain)), callX(resolver, 'instanceFromMap', args(creds))])
    }

    static boolean isCredentials(Expression v) {
        v instanceof MethodCallExpression && ((MethodCallExpression) v).methodAsString == 'credentials'
    }

    static Expression asClosure(Expression e) { e instanceof ClosureExpression ? e : closureReturning(e) }

    /** translateEnvironmentValue for the shapes Jenkinsfiles use (constants, GStrings, +, env.X, X, calls). */
    Expression translate(String target, Expression e, Set<String> keys) {
        if (e instanceof ConstantExpression || e instanceof ClassExpression) return e
        if (e instanceof GStringExpression) {
            def g = (GStringExpression) e
            return new GStringExpression(g.text, g.strings, g.values.collect { translateAndCall(target, it, keys) })
        }
        if (e instanceof BinaryExpression && ((BinaryExpression) e).operation.type == Types.PLUS) {
            def b = (BinaryExpression) e
            return plusX(translateAndCall(target, b.leftExpression, keys), translateAndCall(target, b.rightExpression, keys))
        }
        if (e instanceof PropertyExpression) {
            def p = (PropertyExpression) e
            if (p.objectExpression instanceof VariableExpression && ((VariableExpression) p.objectExpression).name == 'env'
                    && keys.contains(p.propertyAsString)) {
                return closureReturning(p.propertyAsString == target
                    ? callX(varX('this'), constX('getScriptPropOrParam'), args(constX(p.propertyAsString)))
                    : callX(callThisX('getClosure', constX(p.propertyAsString)), 'call'))
            }
            return propX(translateAndCall(target, p.objectExpression, keys), translateAndCall(target, p.property, keys))
        }
        if (e instanceof MethodCallExpression) {
            def m = (MethodCallExpression) e
            return callX(translateAndCall(target, m.objectExpression, keys), m.method,
                args(callArgs(m).collect { translateAndCall(target, it, keys) }))
        }
        if (e instanceof VariableExpression) {
            def v = (VariableExpression) e
            if (keys.contains(v.name) && v.name != target) return closureReturning(callX(callThisX('getClosure', constX(v.name)), 'call'))
            if (v.name == 'this') return v
            return closureReturning(callX(varX('this'), constX('getScriptPropOrParam'), args(constX(v.name))))
        }
        return e // other shapes kept as written (the real transformer rebuilds them node for node)
    }

    Expression translateAndCall(String target, Expression e, Set<String> keys) {
        Expression t = translate(target, e, keys)
        return t instanceof ClosureExpression ? callX(t, 'call') : t
    }

    Expression transformOptions(MethodCallExpression options, boolean inStage) {
        def calls = callsIn(options)
        if (calls.isEmpty()) return constX(null)
        List<MethodCallExpression> jobProps = []
        MapExpression opts = new MapExpression()
        MapExpression wrappers = new MapExpression()
        calls.each { c ->
            String n = c.methodAsString
            if (!inStage && JOB_PROPERTIES.contains(n)) jobProps << c
            else if (DECLARATIVE_OPTIONS.contains(n)) opts.addMapEntryExpression(constX(n), methodCallToDescribable(c))
            else {
                def a = callArgs(c)
                wrappers.addMapEntryExpression(constX(n), a.size() == 1 ? a[0] : a.size() > 1 ? new ListExpression(a) : constX(null))
            }
        }
        return inStage ? ctor('StageOptions', [opts, wrappers]) : ctor('Options', [listOfDescribables(jobProps), opts, wrappers])
    }

    Expression transformInput(MethodCallExpression input, Expression stageName) {
        if (input == null) return constX(null)
        def s = sections(closureArg(input))
        def value = { String k -> s[k] != null ? callArgs(s[k])[0] : constX(null) }
        def params = callsIn(s.parameters)
        return ctor('StageInput', [
            value('message'),
            s.id != null ? callArgs(s.id)[0] : constX(md5Hex(stageName.text)),
            value('ok'), value('submitter'), value('submitterParameter'),
            params.isEmpty() ? constX(null) : listOfDescribables(params),
        ])
    }

    /** hudson.Util.getDigestOf: the input id Declarative derives from the stage name. */
    static String md5Hex(String s) {
        byte[] d = java.security.MessageDigest.getInstance('MD5').digest(s.getBytes('UTF-8'))
        return d.collect { String.format('%02x', it & 0xff) }.join('')
    }

    /** transformStageConditionals + ASTParserUtils.transformWhenContentToRuntimeAST */
    Expression transformWhen(MethodCallExpression when) {
        if (when == null) return constX(null)
        boolean beforeAgent = false, beforeInput = false, beforeOptions = false
        ListExpression conditions = new ListExpression()
        callsIn(when).each { c ->
            switch (c.methodAsString) {
                case 'beforeAgent': beforeAgent = constValue(c); break
                case 'beforeInput': beforeInput = constValue(c); break
                case 'beforeOptions': beforeOptions = constValue(c); break
                default: conditions.addExpression(whenCondition(c))
            }
        }
        if (conditions.expressions.isEmpty()) return constX(null)
        return ctor('StageConditionals', [closureReturning(conditions), constX(beforeAgent), constX(beforeInput), constX(beforeOptions)])
    }

    static boolean constValue(MethodCallExpression c) {
        def a = callArgs(c)
        return a && a[0] instanceof ConstantExpression && ((ConstantExpression) a[0]).value == true
    }

    Expression whenCondition(MethodCallExpression c) {
        String n = c.methodAsString
        if (n == 'expression') {
            return callX(ClassHelper.make(PKG + 'when.impl.ExpressionConditional$DescriptorImpl'), 'instanceFromClosure', args(closureArg(c)))
        }
        if (COMBINING_CONDITIONS.containsKey(n)) {
            def children = callsIn(c).collect { whenCondition(it) }
            MapExpression m = new MapExpression()
            m.addMapEntryExpression(constX(ANON), COMBINING_CONDITIONS[n] == 1 && children.size() == 1
                ? children[0] : new ListExpression(children as List<Expression>))
            return instantiate(n, m)
        }
        return methodCallToDescribable(c)
    }

    /** transformMatrix: one synthetic Stage per cell; the shared stages go into one script-context closure. */
    Expression transformMatrix(MethodCallExpression matrix) {
        if (matrix == null) return constX(null)
        def s = sections(closureArg(matrix))
        List<Map<String, Expression>> cells = [[:]]
        callsIn(s.axes).findAll { it.methodAsString == 'axis' }.each { axis ->
            def ax = sections(closureArg(axis))
            String axisName = callArgs(ax.name)[0].text
            List<Expression> values = callArgs(ax.values)
            List<Map<String, Expression>> next = []
            values.each { v -> cells.each { cell -> def g = new LinkedHashMap<>(cell); g[axisName] = v; next << g } }
            cells = next
        }
        callsIn(s.excludes).findAll { it.methodAsString == 'exclude' }.each { exclude ->
            List<Map<String, Expression>> excluded = new ArrayList<>(cells)
            callsIn(exclude).findAll { it.methodAsString == 'axis' }.each { axis ->
                def ax = sections(closureArg(axis))
                String axisName = callArgs(ax.name)[0].text
                boolean inverse = ax.notValues != null
                Set<String> values = callArgs(ax.values ?: ax.notValues)*.text as Set
                excluded.removeAll { cell -> !inverse ^ values.contains(cell[axisName]?.text) }
            }
            cells.removeAll(excluded)
        }
        Expression stages = transformStages(s.stages, 'Stages')
        // asWrappedScriptContextVariable(stagesExpression, true)
        String handle = uniqueName('Closure')
        handles << stmt(new BinaryExpression(varX(handle), Token.newSymbol(Types.ASSIGN, -1, -1), closureReturning(stages)))
        Expression stagesCall = callX(varX(new DynamicVariable(handle, false)), 'call')
        List<Expression> cellStages = cells.collect { cell ->
            String name = 'Matrix - ' + cell.collect { k, v -> "${k} = '${v.text}'" }.join(', ')
            ctor('Stage', [
                constX(name), constX(null),
                transformAgent(s.agent),
                transformPost(s.post, 'PostStage'),
                transformWhen(s.when),
                transformTools(s.tools),
                transformEnvironment(s.environment),
                constX(false),
                transformOptions(s.options, true),
                transformInput(s.input, constX(name)),
                stagesCall,
                constX(null),
                environmentFrom(cell, true),
            ])
        }
        return ctor('Matrix', [new ListExpression(cellStages)])
    }
}
