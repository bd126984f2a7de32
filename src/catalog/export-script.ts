/**
 * The Groovy script `pipewright catalog export-script` prints: run it on the controller (Manage
 * Jenkins » Script Console, or `jenkins-cli groovy = < export.groovy > dump.json`) and import its
 * output with `pipewright catalog import dump.json`. It is read-only (it walks descriptors and
 * prints JSON; it changes no configuration and starts no build) and needs administrator rights,
 * as every Script Console script does.
 *
 * It prints the "raw dump" shape that `src/catalog/import/export-json.ts` converts: every
 * `StepDescriptor` (function name, plugin, block, required context, meta-step argument type) and,
 * through `org.jenkinsci.plugins.structs.describable.DescribableModel`, every parameter, recursively
 * (required or not, deprecated, atomic Java types, enum constants, arrays, nested describables with
 * their `@Symbol`s, heterogeneous choices), the installed plugins with versions, and the
 * declarative describables: agents, `when` conditions, options (with `canUseInStage`), job
 * properties, triggers, build parameters, credential bindings, SCMs, tools, build wrappers, build
 * steps and post conditions. Classes of plugins that are not installed are looked up by name, so
 * the script runs on any controller.
 *
 * Kept as a TypeScript string so it ships inside `dist/` with the CLI. Written without GString
 * interpolation (no dollar-brace) and without backticks so it can live in a template literal.
 */
export const EXPORT_SCRIPT = String.raw`// pipewright catalog export (pipewright catalog import reads its output).
// Run in Manage Jenkins > Script Console, or: jenkins-cli groovy = < export.groovy > dump.json
// Read-only: walks step and describable descriptors and prints one JSON document.
import groovy.json.JsonOutput
import jenkins.model.Jenkins
import org.jenkinsci.plugins.structs.SymbolLookup
import org.jenkinsci.plugins.structs.describable.DescribableModel

def jenkins = Jenkins.get()
def pluginManager = jenkins.pluginManager
def loader = pluginManager.uberClassLoader
def problems = []

def loadClass = { String name ->
  try {
    return loader.loadClass(name)
  } catch (Throwable ignored) {
    return null
  }
}

def pluginOf = { Class type ->
  def wrapper = pluginManager.whichPlugin(type)
  return wrapper == null ? 'core' : wrapper.shortName
}

def symbolsOf = { Class type ->
  try {
    def symbols = SymbolLookup.getSymbolValue(type)
    return symbols == null ? [] : (symbols as List).sort()
  } catch (Throwable ignored) {
    return []
  }
}

def typeName = { type ->
  if (type == null) return null
  return (type instanceof Class) ? ((Class) type).name : type.typeName
}

// className -> model; a placeholder goes in first so recursive types stop.
def models = [:]
def describeType
def describeModel

describeModel = { Class type ->
  String name = type.name
  if (models.containsKey(name)) return name
  models[name] = [className: name]
  def entry = [className: name, plugin: pluginOf(type), symbols: symbolsOf(type)]
  try {
    def model = DescribableModel.of(type)
    entry.displayName = model.displayName
    entry.deprecated = model.deprecated
    entry.soleRequiredParameter = model.hasSingleRequiredParameter() ? model.soleRequiredParameter.name : null
    entry.parameters = model.parameters.collect { parameter ->
      [name: parameter.name, required: parameter.required, deprecated: parameter.deprecated, type: describeType(parameter.type)]
    }
  } catch (Throwable error) {
    entry.error = error.toString()
  }
  models[name] = entry
  return name
}

describeType = { parameterType ->
  String kind = parameterType.getClass().simpleName
  String javaType = typeName(parameterType.actualType)
  try {
    switch (kind) {
      case 'AtomicType':
        return [kind: 'atomic', javaType: javaType]
      case 'EnumType':
        return [kind: 'enum', javaType: javaType, values: (parameterType.values as List)]
      case 'ArrayType':
        return [kind: 'array', javaType: javaType, of: describeType(parameterType.elementType)]
      case 'HomogeneousObjectType':
        return [kind: 'object', javaType: javaType, className: describeModel(parameterType.schemaType.type)]
      case 'HeterogeneousObjectType':
        def candidates = parameterType.types.collect { key, model -> [key: key, className: describeModel(model.type)] }
        return [kind: 'choice', javaType: javaType, candidates: candidates.sort { it.className }]
      case 'ErrorType':
        return [kind: 'error', javaType: javaType, message: String.valueOf(parameterType.error)]
      default:
        return [kind: 'unknown', javaType: javaType]
    }
  } catch (Throwable error) {
    return [kind: 'error', javaType: javaType, message: error.toString()]
  }
}

// Steps.
def steps = []
def stepDescriptorClass = loadClass('org.jenkinsci.plugins.workflow.steps.StepDescriptor')
if (stepDescriptorClass != null) {
  for (descriptor in jenkins.getExtensionList(stepDescriptorClass)) {
    def entry = [functionName: descriptor.functionName, displayName: descriptor.displayName]
    try {
      Class stepClass = descriptor.clazz
      entry.className = stepClass.name
      entry.plugin = pluginOf(stepClass)
      entry.takesBlock = descriptor.takesImplicitBlockArgument()
      entry.advanced = descriptor.advanced
      entry.requiredContext = descriptor.requiredContext.collect { it.name }.sort()
      entry.metaStep = descriptor.metaStep
      entry.metaStepArgumentType = descriptor.metaStep ? typeName(descriptor.metaStepArgumentType) : null
      entry.model = describeModel(stepClass)
    } catch (Throwable error) {
      entry.error = error.toString()
      problems << ('step ' + descriptor.functionName + ': ' + error)
    }
    steps << entry
  }
}

// Describables pipelines name by symbol, by kind: descriptor base class per kind.
def kinds = [
  agent            : 'org.jenkinsci.plugins.pipeline.modeldefinition.agent.DeclarativeAgentDescriptor',
  when             : 'org.jenkinsci.plugins.pipeline.modeldefinition.when.DeclarativeStageConditionalDescriptor',
  option           : 'org.jenkinsci.plugins.pipeline.modeldefinition.options.DeclarativeOptionDescriptor',
  jobProperty      : 'hudson.model.JobPropertyDescriptor',
  trigger          : 'hudson.triggers.TriggerDescriptor',
  parameter        : 'hudson.model.ParameterDefinition' + '$' + 'ParameterDescriptor',
  credentialBinding: 'org.jenkinsci.plugins.credentialsbinding.BindingDescriptor',
  scm              : 'hudson.scm.SCMDescriptor',
  tool             : 'hudson.tools.ToolDescriptor',
  wrapper          : 'hudson.tasks.BuildWrapperDescriptor',
  buildStep        : 'hudson.tasks.BuildStepDescriptor',
]
def workflowJob = loadClass('org.jenkinsci.plugins.workflow.job.WorkflowJob')
def simpleBuildStep = loadClass('jenkins.tasks.SimpleBuildStep')
def simpleBuildWrapper = loadClass('jenkins.tasks.SimpleBuildWrapper')
def describables = []
kinds.each { kind, descriptorClassName ->
  def descriptorClass = loadClass(descriptorClassName)
  if (descriptorClass == null) {
    problems << (kind + ': ' + descriptorClassName + ' is not installed')
    return
  }
  for (descriptor in jenkins.getExtensionList(descriptorClass)) {
    try {
      Class type = descriptor.clazz
      if (kind == 'buildStep' && (simpleBuildStep == null || !simpleBuildStep.isAssignableFrom(type))) continue
      if (kind == 'wrapper' && (simpleBuildWrapper == null || !simpleBuildWrapper.isAssignableFrom(type))) continue
      if (kind == 'jobProperty' && workflowJob != null && !descriptor.isApplicable(workflowJob)) continue
      def entry = [kind: kind, className: type.name, model: describeModel(type)]
      if (kind == 'option') entry.canUseInStage = descriptor.canUseInStage()
      if (kind == 'when') entry.allowedChildrenCount = descriptor.allowedChildrenCount
      describables << entry
    } catch (Throwable error) {
      problems << (kind + ' ' + descriptor.getClass().name + ': ' + error)
    }
  }
}

// Post conditions (always, success, failure, ...): extensions with a symbol and no parameters.
def buildConditionClass = loadClass('org.jenkinsci.plugins.pipeline.modeldefinition.model.BuildCondition')
if (buildConditionClass != null) {
  for (condition in jenkins.getExtensionList(buildConditionClass)) {
    Class type = condition.getClass()
    describables << [kind: 'postCondition', className: type.name, plugin: pluginOf(type), symbols: symbolsOf(type)]
  }
}

def plugins = pluginManager.plugins.collect { plugin ->
  [id: plugin.shortName, version: plugin.version, active: plugin.active, enabled: plugin.enabled]
}.sort { it.id }

def dump = [
  pipewrightExport: 1,
  jenkinsVersion  : Jenkins.VERSION,
  url             : jenkins.rootUrl,
  plugins         : plugins,
  steps           : steps.sort { it.functionName },
  describables    : describables,
  models          : models,
  problems        : problems,
]
println(JsonOutput.toJson(dump))
return null
`;
