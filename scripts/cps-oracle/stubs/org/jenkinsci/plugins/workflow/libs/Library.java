package org.jenkinsci.plugins.workflow.libs;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
/** Oracle stub of workflow-cps-global-lib's @Library (a controller resolves it; the code it leaves behind is a declaration of `_`). */
@Retention(RetentionPolicy.SOURCE)
@Target({ElementType.PACKAGE, ElementType.TYPE, ElementType.FIELD, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.LOCAL_VARIABLE})
public @interface Library {
    String[] value();
    boolean changelog() default true;
}
