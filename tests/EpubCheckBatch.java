// Check many EPUBs in one JVM (EPUBCheck's command line takes one file per run, and the JVM's
// start-up dominates for small books). Prints "path<TAB>problems" per file and the messages
// (fatal errors, errors, warnings) on stderr.
import com.adobe.epubcheck.api.EpubCheck;
import com.adobe.epubcheck.util.DefaultReportImpl;
import java.io.File;

public class EpubCheckBatch {
    public static void main(String[] args) {
        for (String path : args) {
            DefaultReportImpl report = new DefaultReportImpl(path);
            new EpubCheck(new File(path), report).doValidate();
            int problems = report.getFatalErrorCount() + report.getErrorCount() + report.getWarningCount();
            System.out.println(path + "\t" + problems);
        }
    }
}
