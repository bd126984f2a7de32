/**
 * The catalog generator's Java reader (scripts/catalog/java.mjs) on the shapes plugin sources
 * use: annotations with arguments, generic supertypes, nested descriptors, setters, enums, field
 * initializers, Groovy classes without semicolons.
 */
import { describe, expect, it } from 'vitest';
import { annotationStrings, parseJava, returnedBoolean, returnedInt, returnedString } from '../../scripts/catalog/java.mjs';

const step = `package org.example;

import org.kohsuke.stapler.DataBoundConstructor;
import java.util.*;

/** A step. "Strings" and // comments in Javadoc are not code. */
public class DeployStep extends Step implements Serializable {
    private static final String NAME = "deploy";
    private final String target;
    private @CheckForNull List<Map<String, ? extends Object>> extra = new ArrayList<>();
    private Mode mode = Mode.FAST;

    @DataBoundConstructor public DeployStep(@NonNull String target, final int retries) { this.target = target; }

    @DataBoundSetter @Deprecated public void setExtra(List<Map<String, ? extends Object>> extra) { this.extra = extra; }

    @DataBoundSetter public void setMode(Mode mode) { if (mode == null) { throw new IllegalArgumentException("}"); } this.mode = mode; }

    public enum Mode { FAST, SAFE("safe") { @Override public String toString() { return "s"; } }; Mode() {} Mode(String s) {} }

    @Extension @Symbol({"deploy", "ship"}) public static class DescriptorImpl extends StepDescriptor {
        @Override public String getFunctionName() { return NAME; }
        @Override public boolean takesImplicitBlockArgument() { return true; }
        @Override public int getAllowedChildrenCount() { return -1; }
        @Override public String getDisplayName() { return "Deploy"; }
        @Override public Set<? extends Class<?>> getRequiredContext() { return Set.of(FilePath.class, Launcher.class); }
    }
}
`;

describe('parseJava', () => {
  const unit = parseJava(step);
  const cls = unit.types[0]!;
  const descriptor = cls.types.find((t) => t.name === 'DescriptorImpl')!;

  it('reads the package, imports and the class with its supertypes', () => {
    expect(unit.package).toBe('org.example');
    expect(unit.imports).toEqual(['org.kohsuke.stapler.DataBoundConstructor', 'java.util.*']);
    expect(cls).toMatchObject({ kind: 'class', name: 'DeployStep', extends: ['Step'], implements: ['Serializable'] });
  });

  it('reads the @DataBoundConstructor parameters with their types (annotations and final dropped)', () => {
    const ctor = cls.constructors.find((c) => c.annotations.some((a) => a.name === 'DataBoundConstructor'))!;
    expect(ctor.params.map((p) => [p.name, p.type])).toEqual([['target', 'String'], ['retries', 'int']]);
    expect(ctor.params[0]!.annotations).toEqual(['NonNull']);
  });

  it('reads setters with nested generics, their annotations, and skips method bodies with braces in strings', () => {
    const setters = cls.methods.filter((m) => m.annotations.some((a) => a.name === 'DataBoundSetter'));
    expect(setters.map((m) => m.name)).toEqual(['setExtra', 'setMode']);
    expect(setters[0]!.params[0]!.type).toBe('List<Map<String,?extendsObject>>');
    expect(setters[0]!.annotations.map((a) => a.name)).toEqual(['DataBoundSetter', 'Deprecated']);
  });

  it('reads fields with initializers, enum constants (with bodies and arguments) and nested classes', () => {
    expect(cls.fields.map((f) => f.name)).toEqual(['NAME', 'target', 'extra', 'mode']);
    expect(cls.fields[0]!.init).toEqual([{ t: 'str', v: 'deploy' }]);
    expect(cls.types.find((t) => t.name === 'Mode')?.enumConstants).toEqual(['FAST', 'SAFE']);
    expect(descriptor.outer).toBe('DeployStep');
    expect(descriptor.extends).toEqual(['StepDescriptor']);
  });

  it('reads annotation strings and literal return values', () => {
    expect(annotationStrings(descriptor.annotations.find((a) => a.name === 'Symbol')!)).toEqual(['deploy', 'ship']);
    const method = (name: string) => descriptor.methods.find((m) => m.name === name)!;
    expect(returnedString(method('getDisplayName'))).toBe('Deploy');
    // `return NAME;` is not a literal: the generator resolves constants separately.
    expect(returnedString(method('getFunctionName'))).toBeUndefined();
    expect(returnedBoolean(method('takesImplicitBlockArgument'))).toBe(true);
    expect(returnedInt(method('getAllowedChildrenCount'))).toBe(-1);
    const context = method('getRequiredContext').body.map((t) => t.v).join(' ');
    expect(context).toContain('FilePath . class');
  });

  it('reads a Groovy class (no semicolons, Groovy annotations) as the post conditions are written', () => {
    const groovy = parseJava(`package org.example.conditions
import hudson.Extension
@Extension(ordinal=1000d) @Symbol("always")
class Always extends BuildCondition {
    @Override
    boolean meetsCondition(@NonNull WorkflowRun r) {
        return true
    }
    static final long serialVersionUID = 1L
}
`);
    const always = groovy.types[0]!;
    expect(always.name).toBe('Always');
    expect(always.extends).toEqual(['BuildCondition']);
    expect(annotationStrings(always.annotations.find((a) => a.name === 'Symbol')!)).toEqual(['always']);
    expect(returnedBoolean(always.methods[0]!)).toBe(true);
  });
});
