// Fills a form the way ODK Collect does, with JavaRosa (the form engine Collect runs, here the copy
// inside pyxform's ODK Validate jar), and writes the instance Collect would send.
//
//   java -cp ODK_Validate.jar:CLASSES FillForm FORM.xml MEDIA_DIR ANSWERS OUT.xml
//
// MEDIA_DIR holds the form's media as downloaded from its manifest (proposals.csv), and resolves
// jr://file-csv/ and jr://file/ references. ANSWERS has one `name=value` per line, in form order;
// several lines for one question are tried in turn until one is accepted, so a test can check that a
// constraint fires. A geopoint is `lat lon altitude accuracy`, a trace `lat lon alt acc;...`, a photo
// its file name. It prints `name OK`, `name CONSTRAINT_VIOLATED`, `name REQUIRED` for each answer
// tried, then `calc NAME=VALUE` for every calculated field, and exits 2 if the form cannot be
// finalised (a required question left empty).
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import org.javarosa.core.model.*;
import org.javarosa.core.model.data.*;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.*;
import org.javarosa.core.reference.*;
import org.javarosa.form.api.*;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.xform.util.XFormUtils;

public class FillForm {
    /** A file of the downloaded media. */
    static final class FileReference implements Reference {
        private final File file;
        private final String uri;

        FileReference(File file, String uri) {
            this.file = file;
            this.uri = uri;
        }

        public boolean doesBinaryExist() { return file.exists(); }
        public InputStream getStream() throws IOException { return new FileInputStream(file); }
        public String getURI() { return uri; }
        public String getLocalURI() { return file.getAbsolutePath(); }
        public boolean isReadOnly() { return true; }
        public OutputStream getOutputStream() throws IOException { throw new IOException("read-only"); }
        public void remove() throws IOException { throw new IOException("read-only"); }
        public Reference[] probeAlternativeReferences() { return new Reference[0]; }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: FillForm FORM.xml MEDIA_DIR ANSWERS OUT.xml");
            System.exit(64);
        }
        final File media = new File(args[1]);
        ReferenceManager.instance().addReferenceFactory(
            new PrefixedRootFactory(new String[] {"file-csv", "file"}) {
                protected Reference factory(String terminal, String uri) {
                    return new FileReference(new File(media, new File(terminal).getName()), uri);
                }
            });

        List<String[]> answers = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || eq < 0) continue;
            answers.add(new String[] {line.substring(0, eq).trim(), line.substring(eq + 1)});
        }

        FormDef form;
        try (InputStream in = new FileInputStream(args[0])) {
            form = XFormUtils.getFormFromInputStream(in);
        }
        form.initialize(true, new InstanceInitializationFactory());
        FormEntryModel model = new FormEntryModel(form);
        FormEntryController controller = new FormEntryController(model);

        for (int event = controller.stepToNextEvent();
             event != FormEntryController.EVENT_END_OF_FORM;
             event = controller.stepToNextEvent()) {
            if (event != FormEntryController.EVENT_QUESTION) continue;
            FormEntryPrompt prompt = model.getQuestionPrompt();
            if (prompt.isReadOnly()) continue;
            String name = prompt.getIndex().getReference().getNameLast();
            for (String[] answer : answers) {
                if (!answer[0].equals(name)) continue;
                IAnswerData data = toAnswer(prompt, answer[1]);
                int result = controller.answerQuestion(data, true);
                String verdict = result == FormEntryController.ANSWER_OK ? "OK"
                    : result == FormEntryController.ANSWER_CONSTRAINT_VIOLATED ? "CONSTRAINT_VIOLATED"
                    : "REQUIRED";
                System.out.println(name + " " + verdict);
                if (result == FormEntryController.ANSWER_OK) break;
            }
        }

        ValidateOutcome outcome = form.validate(true);
        if (outcome != null) {
            System.out.println("INCOMPLETE " + outcome.failedPrompt.getReference().getNameLast());
            System.exit(2);
        }
        form.postProcessInstance();
        printCalculations(form.getMainInstance().getRoot(), form);
        byte[] xml = new XFormSerializingVisitor().serializeInstance(form.getInstance());
        Files.write(Paths.get(args[3]), xml);
    }

    static IAnswerData toAnswer(FormEntryPrompt prompt, String value) {
        int type = prompt.getDataType();
        if (type == Constants.DATATYPE_CHOICE) {
            for (SelectChoice choice : prompt.getSelectChoices()) {
                if (choice.getValue().equals(value)) return new SelectOneData(choice.selection());
            }
            throw new IllegalArgumentException(
                prompt.getIndex().getReference().getNameLast() + ": no choice " + value);
        }
        if (type == Constants.DATATYPE_BINARY) return new StringData(value);
        return AnswerDataFactory.templateByDataType(type).cast(new UncastData(value));
    }

    static void printCalculations(TreeElement node, FormDef form) {
        for (int i = 0; i < node.getNumChildren(); i++) {
            TreeElement child = node.getChildAt(i);
            if (child.getNumChildren() > 0) {
                printCalculations(child, form);
                continue;
            }
            QuestionDef question = FormDef.findQuestionByRef(child.getRef(), form);
            IAnswerData value = child.getValue();
            if (question == null && value != null) {
                System.out.println("calc " + child.getName() + "=" + value.getDisplayText());
            }
        }
    }
}
