/** The validate phase: schema issues (zod) and Jenkins' structural rules, as diagnostics. */
export { validateSchema, type SchemaValidationResult } from './schema-issues.ts';
export { checkStructure, STRUCTURE_RULES, type StructureRule } from './structure.ts';
