/**
 * The value test/groovy/global-setup.ts provides to every test: the base URL of the local HTTP
 * front of the Groovy 2.4 parse server (e.g. `http://127.0.0.1:40123`).
 */
export const GROOVY_PARSE_URL_KEY = 'groovyParseServerUrl';

declare module 'vitest' {
  export interface ProvidedContext {
    groovyParseServerUrl: string;
  }
}
