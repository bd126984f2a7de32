package org.jenkinsci.plugins.workflow.cps;
import com.cloudbees.groovy.cps.SerializableScript;
/** Oracle stub of workflow-cps' script base class (the real one needs a running Jenkins). Code size does not depend on it. */
public abstract class CpsScript extends SerializableScript {
    private static final long serialVersionUID = 1L;
}
