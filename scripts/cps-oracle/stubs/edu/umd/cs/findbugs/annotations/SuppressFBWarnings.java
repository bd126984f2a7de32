package edu.umd.cs.findbugs.annotations;
/** Oracle stub: SpotBugs annotation (not reachable here). */
public @interface SuppressFBWarnings { String[] value() default {}; String justification() default ""; }
