package org.jenkinsci.plugins.workflow.cps;
/** Oracle stub of workflow-cps' loop safepoint (the transformer emits a call to it in every loop body). */
public final class Safepoint {
    private Safepoint() {}
    public static void safepoint() {}
}
