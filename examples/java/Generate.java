// Load a model, stream the denoising steps of one generation, print the response.
//
//   java -cp /usr/share/java/maskkv.jar Generate.java MODEL_DIR [PROMPT_IDS... | --text PROMPT]
//
// Without a tokenizer in MODEL_DIR the prompt must be token ids.
import java.nio.file.Path;
import java.util.Arrays;
import org.maskkv.Family;
import org.maskkv.GenerateOptions;
import org.maskkv.Maskkv;
import org.maskkv.MaskkvException;
import org.maskkv.Model;
import org.maskkv.Session;
import org.maskkv.Step;

public class Generate {
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: Generate MODEL_DIR [PROMPT_IDS... | --text PROMPT]");
      System.exit(2);
    }
    System.out.println("maskkv " + Maskkv.version());
    try (Model model = Model.load(Path.of(args[0]))) {
      GenerateOptions options = new GenerateOptions().genLength(16).steps(16)
          .blockLength(model.info().family() == Family.DREAM ? 16 : 8);
      Session session;
      if (args.length > 2 && args[1].equals("--text")) {
        session = model.stream(String.join(" ", Arrays.copyOfRange(args, 2, args.length)), options);
      } else {
        int[] prompt = args.length > 1
            ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
            : new int[] {1};
        session = model.stream(prompt, options);
      }
      try (session) {
        for (Step step : session) {
          System.out.printf("step %d: committed %d, %d masks left%n", step.index(),
              step.committed(), step.masksLeft());
        }
        int[] tokens = session.tokens();
        StringBuilder line = new StringBuilder("response:");
        for (int t : tokens) line.append(' ').append(t);
        System.out.println(line);
        session.text().ifPresent(text -> System.out.println("text: " + text));
      }
    } catch (MaskkvException e) {
      System.err.println("maskkv error: " + e.getMessage());
      System.exit(1);
    }
  }
}
