package org.jenkinsci.plugins.workflow.cps;
import com.cloudbees.groovy.cps.impl.CpsClosure;
import java.util.List;
/** Oracle stub of workflow-cps' closure type: the transformer only names the class in generated code. */
public class CpsClosure2 extends CpsClosure {
    private static final long serialVersionUID = 1L;
    public CpsClosure2(Object owner, Object thisObject, List<String> parameters, com.cloudbees.groovy.cps.Block body, com.cloudbees.groovy.cps.Env capture) {
        super(owner, thisObject, parameters, body, capture);
    }
}
