/**
 * Diagnostic codes of the Jenkinsfile parser and validator (PW5xxx). Messages reproduce the text
 * Jenkins' declarative plugin prints (pipeline-model-definition: ModelParser, ModelValidatorImpl
 * and validator contributors), as rendered in the reference `jenkins-declarative.md` §2.
 *
 * `stage` says which part reports it: `groovy` = Groovy 2.4 itself would refuse to compile the
 * file; `parser` = rules Jenkins' ModelParser applies while reading the declarative structure
 * (reported by `parseJenkinsfile`, because several messages quote source text); `validator` =
 * rules checked on the AST by `validateJenkinsfile`; `catalog` = rules that need the controller's
 * catalog (`validateJenkinsfile` with `catalog`); `limit` = a documented limit of pipewright's
 * parser (Groovy on Jenkins' default thread stack fails well before it).
 */

export type RuleStage = 'groovy' | 'parser' | 'validator' | 'catalog' | 'limit';

export interface JenkinsfileRule {
  code: string;
  stage: RuleStage;
  /** What the rule checks. */
  summary: string;
  /** The message(s) it reports; `<x>` marks a value filled in. */
  messages: readonly string[];
}

const rule = (code: string, stage: RuleStage, summary: string, ...messages: string[]): JenkinsfileRule => ({
  code,
  stage,
  summary,
  messages,
});

export const POST_CONDITIONS = [
  'always', 'changed', 'fixed', 'regression', 'aborted', 'success', 'unsuccessful', 'unstable', 'failure',
  'notBuilt', 'cleanup',
] as const;

const POST_LIST = `[${POST_CONDITIONS.join(', ')}]`;

/** Every rule, keyed by code. */
export const JENKINSFILE_RULES = {
  PW5001: rule('PW5001', 'groovy', 'Groovy 2.4 syntax error (the file does not compile)', '<Groovy parser message>'),
  PW5002: rule('PW5002', 'parser', 'No top-level `pipeline` step', "Jenkinsfile content '<text>' did not contain the 'pipeline' step"),
  PW5003: rule('PW5003', 'parser', '`pipeline` nested in another block', 'pipeline block must be at the top-level, not within another block.'),
  PW5004: rule('PW5004', 'validator', '`pipeline` without a block', 'Expected a block with the "pipeline" step'),
  PW5005: rule('PW5005', 'limit', 'Nesting deeper than the parser\'s limit (256 levels of blocks, brackets, parentheses, interpolations)',
    'nesting deeper than <n> levels: pipewright\'s parser stops here (each block, closure, bracket, parenthesis and ${ } opens a level; Groovy 2.4 on a 1 MB thread stack already fails at about 60 nested stages)',
    'the parser ran out of stack space here', 'pipewright ran out of stack space validating this file (too deeply nested)'),
  PW5010: rule('PW5010', 'parser', 'A statement that is not a method call where a section is expected (pipeline, matrix, input)',
    'Not a valid section definition: "<src>". Some extra configuration is required.'),
  PW5011: rule('PW5011', 'parser', 'A statement that is not a method call in a stage',
    'Not a valid stage section definition: "<src>". Some extra configuration is required.'),
  PW5012: rule('PW5012', 'validator', 'Something other than `stage(...) { }` in `stages` or `parallel` (statements that are not calls: reported by the parser)', 'Expected a stage'),
  PW5013: rule('PW5013', 'parser', 'A statement that is not a method call in `steps` or a post condition', 'Expected a step'),
  PW5014: rule('PW5014', 'parser', 'A statement that is not a method call in `when`', 'Expected a when condition'),
  PW5015: rule('PW5015', 'parser', 'A statement in `environment` that is not `NAME = value`',
    '"<src>" is not a valid environment expression. Use "key = value" pairs with valid Java/shell keys.',
    '"<k>" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.',
    'Expected name=value pairs'),
  PW5016: rule('PW5016', 'parser', 'A statement that is not a method call in options, triggers or parameters',
    'Expected an option', 'Expected a trigger', 'Expected a build parameter definition',
    'Options cannot be defined as maps', 'Triggers cannot be defined as maps', 'Build parameters cannot be defined as maps'),
  PW5017: rule('PW5017', 'parser', '`libraries` entries must be `lib(\'name@version\')`',
    'Expected a "lib(...)" but got <src>', 'Libraries definitions cannot have blocks'),
  PW5018: rule('PW5018', 'parser', 'A statement that is not a method call in `tools`', 'Expected to find ‘someTool "someVersion"’'),
  PW5019: rule('PW5019', 'parser', 'A `post` entry that is not `condition { ... }`',
    `The ‘post’ section can only contain build condition names with code blocks. Valid condition names are ${POST_LIST}`),
  PW5020: rule('PW5020', 'parser', 'A statement that is not a method call in an agent type block', 'Expected to find ‘someKey "someValue"’'),
  PW5021: rule('PW5021', 'validator', 'A method call on an object, or on something that is not a name, outside `script { }` (calls on expressions: reported by the parser)',
    'Method calls on objects not allowed outside "script" blocks.', 'Expected a symbol'),

  PW5100: rule('PW5100', 'validator', 'A section given twice (pipeline, stage, matrix, axis, input)', 'Multiple occurrences of the <name> section'),
  PW5101: rule('PW5101', 'validator', 'Unknown section (pipeline, matrix, axis)', 'Undefined section "<name>"'),
  PW5102: rule('PW5102', 'validator', 'Legacy section names',
    'The ‘properties’ section has been renamed as of version 0.8. Use ‘options’ instead.',
    'The ‘jobProperties’ section has been renamed as of version 0.7. Use ‘properties’ instead.',
    'The ‘notifications’ section has been removed as of version 0.6. Use ‘post’ for all post-build actions.',
    'The ‘postBuild’ section has been renamed as of version 0.6. Use ‘post’ for all post-build actions.',
    "The 'wrappers' section has been removed as of version 0.8. Use 'options' instead."),
  PW5103: rule('PW5103', 'validator', 'Required section missing (agent, stages; matrix axes, stages; axis name, values)', 'Missing required section "<name>"'),
  PW5104: rule('PW5104', 'validator', 'A section given without its block', 'Expected a block for <section>', 'Expected a block'),
  PW5105: rule('PW5105', 'validator', 'Stage syntax', 'Expected a stage name but did not find any', 'Expected string literal', 'Stage does not have a block'),
  PW5106: rule('PW5106', 'validator', 'Unknown section in a stage',
    'Unknown stage section "<name>". Starting with version 0.5, steps in a stage must be in a ‘steps’ block.'),
  PW5107: rule('PW5107', 'validator', 'Empty `stages` or `parallel`', 'No stages specified'),
  PW5108: rule('PW5108', 'validator', 'Two sibling stages with the same name', 'Duplicate stage name: "<n>"'),
  PW5109: rule('PW5109', 'validator', 'A stage needs exactly one of steps, stages, parallel, matrix',
    'Expected one of "steps", "stages", or "parallel" for stage "<n>"',
    'Only one of "matrix", "parallel", "stages", or "steps" allowed for stage "<n>"'),
  PW5110: rule('PW5110', 'validator', '`agent` or `tools` on a stage that contains parallel or matrix stages',
    '"agent" is not allowed in stage "<n>" as it contains parallel or matrix stages',
    '"tools" is not allowed in stage "<n>" as it contains parallel or matrix stages'),
  PW5111: rule('PW5111', 'validator', 'parallel or matrix inside parallel or matrix',
    '"matrix" or "parallel" cannot be nested inside another "matrix" or "parallel".'),
  PW5112: rule('PW5112', 'validator', 'Empty `steps` or post condition block', 'No steps specified for branch'),
  PW5113: rule('PW5113', 'validator', 'Legacy `parallel(...)` step arguments',
    'Duplicate parallel branch name: "<n>"', 'Expected a boolean with failFast', 'Expected closure or failFast'),
  PW5114: rule('PW5114', 'validator', 'Empty post, options, parameters, triggers or libraries', '<section> can not be empty'),
  PW5115: rule('PW5115', 'validator', 'Post condition names',
    `Invalid condition "<c>" - valid conditions are ${POST_LIST}`, 'Duplicate build condition name: "<c>"'),
  PW5116: rule('PW5116', 'validator', 'Environment variables',
    'No variables specified for environment',
    '"<k>" is not a valid identifier and cannot be used for an environment variable. Identifiers must start with a letter or underscore and can contain only letters, numbers or underscores.',
    'Duplicate environment variable name: "<k>"', 'Expected string literal'),
  PW5117: rule('PW5117', 'validator', 'Environment variable value forms',
    'Environment variable values must either be single quoted, double quoted, or function calls.',
    'Environment variable values can only be joined together with ‘+’s.',
    'Environment variable values to be concatenated together must be single or double quoted.',
    'Internal function call parameters must be strings.'),
  PW5118: rule('PW5118', 'validator', 'A bare `${...}` used as a value', '<${x}> cannot be used as a value directly. Did you mean "<${x}>"? (add quotes)'),
  PW5119: rule('PW5119', 'validator', 'An integer constant outside the long range',
    'BigIntegers cannot be used as constants in Declarative. The maximum value for an integer is 9,223,372,036,854,775,807 and the minimum value for an integer is -9,223,372,036,854,775,808.'),
  PW5120: rule('PW5120', 'validator', 'A closure as a method-call argument (options, triggers, parameters)', 'Method call arguments'),
  PW5121: rule('PW5121', 'validator', '`script` / `expression` without a block', 'Script step without a block', 'When step without a block'),
  PW5122: rule('PW5122', 'validator', 'Steps blocked in declarative pipelines',
    'Invalid step "stage" used - not allowed in this context - The stage step cannot be used in Declarative Pipelines',
    'Invalid step "properties" used - not allowed in this context - The properties step cannot be used in Declarative Pipelines',
    'Invalid step "parallel" used - not allowed in this context - The parallel step can only be used as the only top-level step in a stages step block',
    'Invalid step "node" used - not allowed in this context - The node step cannot be called as an argument to a method in Declarative Pipelines'),
  PW5123: rule('PW5123', 'validator', 'parameters or triggers job properties inside options',
    'The "parameters" job property cant be used in the "options" directive. Use the "parameters {...}" directive instead.',
    'The "triggers" job property cant be used in the "options" directive. Use the "triggers {...}" directive instead.'),
  PW5124: rule('PW5124', 'validator', 'Agent syntax',
    'Expected an agent', 'No argument for agent', 'Only "agent none", "agent any" or "agent {...}" are allowed.',
    'Only one agent type is allowed per agent section', 'No argument for map key "<k>"', 'Too many arguments for map key "<k>"'),
  PW5125: rule('PW5125', 'validator', 'Agent type not in the allow-list or the catalog; no agent type (with a catalog)',
    'Invalid agent type "<t>" specified. Must be one of [<sorted>]', 'No agent type specified. Must be one of [<sorted>]'),
  PW5126: rule('PW5126', 'validator', '`when` block and its flags',
    'Empty when closure, remove the property or add some content.', 'Expected a boolean with <flag>'),
  PW5127: rule('PW5127', 'validator', 'Arity of nested when conditions (allOf, anyOf, not)',
    'No additional arguments are allowed for children when condition "<c>".',
    'Nested when condition "<c>" requires at least one child condition.',
    'Nested when condition "not" requires exactly 1 child condition(s).',
    'No children when conditions are allowed for when condition "<c>".'),
  PW5128: rule('PW5128', 'validator', 'When condition not in the allow-list or the catalog', 'Unknown conditional <c>. Valid conditionals are: <a, b, …>'),
  PW5129: rule('PW5129', 'validator', '`changelog` condition without a pattern', 'Changelog is missing required parameter "pattern".'),
  PW5130: rule('PW5130', 'validator', '`input` directive fields',
    'No message specified for input', 'Not a valid field for input: "<f>"', 'No argument for field "<f>"', 'Too many arguments for field "<f>"'),
  PW5131: rule('PW5131', 'validator', '`tools` directive',
    'No argument for tool "<t>"', 'Too many arguments for tool "<t>"', 'No tools specified'),
  PW5132: rule('PW5132', 'validator', 'Tool type not in the allow-list or the catalog', 'Invalid tool type "<t>". Valid tool types: [<list>]'),
  PW5133: rule('PW5133', 'validator', 'options, triggers and parameters entries',
    'Options definitions cannot have blocks', 'Triggers definitions cannot have blocks', 'Build parameters definitions cannot have blocks',
    'Duplicate option name: "<o>"', 'Duplicate trigger name: "<t>"', 'Cannot mix named and unnamed arguments'),
  PW5134: rule('PW5134', 'validator', 'Option, trigger or build parameter type not in the allow-list or the catalog (stage options: those the catalog allows in a stage)',
    'Invalid option type "<o>". Valid option types: [<list>]', 'Invalid trigger type "<t>". Valid trigger types: [<list>]',
    'Invalid parameter type "<p>". Valid parameter types: [<list>]'),
  PW5135: rule('PW5135', 'validator', 'matrix, axes and excludes',
    'No axis directives specified', 'No exclude directives specified', 'Duplicate axis name: "<n>"', 'Duplicate axis value: "<v>"',
    'Expected string literal but got <v>', 'Exclude axis must contain either "values" or "notValues"'),
  PW5136: rule('PW5136', 'validator', 'Step not in the allow-list', "No such DSL method '<name>' found among steps [<list>]"),
  // Catalog rules: the arguments of what the controller's catalog describes (ModelValidatorImpl).
  PW5137: rule('PW5137', 'catalog', 'A named argument that is not a parameter of the step, option, trigger, build parameter or when condition',
    'Invalid parameter "<key>", did you mean "<nearest>"?'),
  PW5138: rule('PW5138', 'catalog', 'A required parameter not given (steps, when conditions, agents)',
    'Missing required parameter: "<name>"', 'Missing required parameter for agent type "<type>": <name>'),
  PW5139: rule('PW5139', 'catalog', 'A literal of the wrong type for a String or number parameter',
    'Expecting "<java type>" for parameter "<key>" but got "<value>" of type <java class> instead',
    'Expecting "<java type>" but got "<value>" of type <java class> instead'),
  PW5140: rule('PW5140', 'catalog', 'Arguments that do not fit the parameters (count, unnamed)',
    'Arguments to "<name>" must be explicitly named.', '"<name>" should have <n> arguments but has <m> arguments instead.',
    'Step does not take a single required parameter - use named parameters instead',
    'Multiple parameters are required for agent type "<type>" - [<names>]. Please use a block instead.'),
  PW5141: rule('PW5141', 'catalog', 'An agent config option the agent type does not have',
    'Invalid config option "<key>" for agent type "<type>". Valid config options are [<names>]'),
} as const satisfies Record<string, JenkinsfileRule>;

export type JenkinsfileRuleCode = keyof typeof JENKINSFILE_RULES;

/**
 * A statement the parser reported and could not represent (e.g. `def x = 1` in `steps`) is kept
 * in its block as a `Call` with this empty name, so that counts Jenkins makes (an empty `steps`
 * block, the children of `not { }`) stay right. It only appears in ASTs with parser diagnostics.
 */
export const REPORTED_STATEMENT_NAME = '';

/** Whether a statement is the placeholder of a statement the parser already reported. */
export function isReportedStatement(statement: { type: string; name?: string }): boolean {
  return statement.type === 'Call' && statement.name === REPORTED_STATEMENT_NAME;
}
