// Types of java.mjs (the catalog generator's Java reader), for tests.
export interface JavaToken { t: 'id' | 'str' | 'num' | 'op'; v: string }
export interface JavaAnnotation { name: string; args: JavaToken[] }
export interface JavaParameter { name: string; type: string; annotations: string[] }
export interface JavaMethod { name: string; returnType: string; mods: string[]; annotations: JavaAnnotation[]; params: JavaParameter[]; body: JavaToken[] }
export interface JavaConstructor { mods: string[]; annotations: JavaAnnotation[]; params: JavaParameter[]; body: JavaToken[] }
export interface JavaField { name: string; type: string; mods: string[]; annotations: JavaAnnotation[]; init: JavaToken[] }
export interface JavaType {
  kind: 'class' | 'interface' | 'enum' | 'record' | 'annotation';
  name: string;
  outer?: string;
  mods: string[];
  annotations: JavaAnnotation[];
  typeParams: string;
  extends: string[];
  implements: string[];
  constructors: JavaConstructor[];
  methods: JavaMethod[];
  fields: JavaField[];
  enumConstants: string[];
  types: JavaType[];
}
export interface JavaUnit { package: string; imports: string[]; types: JavaType[] }
export function tokenize(source: string): JavaToken[];
export function parseJava(source: string): JavaUnit;
export function annotationStrings(annotation: JavaAnnotation): string[];
export function returnedString(method: { body: JavaToken[] }): string | undefined;
export function returnedBoolean(method: { body: JavaToken[] }): boolean | undefined;
export function returnedInt(method: { body: JavaToken[] }): number | undefined;
