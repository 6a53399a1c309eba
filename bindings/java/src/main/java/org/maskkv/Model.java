package org.maskkv;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.maskkv.capi.Capi;
import org.maskkv.capi.CapiConstants;
import org.maskkv.capi.maskkv_generate_options;
import org.maskkv.capi.maskkv_model_info;
import org.maskkv.capi.maskkv_model_options;
import org.maskkv.capi.maskkv_stats;

/**
 * A loaded model directory (config.json + safetensors, optional tokenizer). Immutable once
 * loaded and safe to share across threads. Close it (try-with-resources) to free its memory;
 * sessions still running keep the C model alive until they are closed.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("models/demo"))) {
 *   Generation g = model.generate(new int[] {1, 2, 3}, new GenerateOptions().genLength(16));
 * }
 * }</pre>
 */
public final class Model extends Handle {
  private final Path path;
  private volatile ModelInfo info;

  private Model(NativeRef ref, Path path) {
    super(ref, "model");
    this.path = path;
  }

  /** Loads with the default options (AUTO backend, one CPU thread per core). */
  public static Model load(Path directory) {
    return load(directory, Backend.AUTO, 0);
  }

  /** nThreads: CPU threads, 0 for one per core. */
  public static Model load(Path directory, Backend backend, int nThreads) {
    return load(directory, backend, nThreads, WeightType.AUTO);
  }

  /**
   * weightType converts the linear weights at load (Q8_0 and Q4_0 run on the CPU backend only).
   */
  public static Model load(Path directory, Backend backend, int nThreads, WeightType weightType) {
    maskkv_model_options o = new maskkv_model_options();
    try {
      o.setBackend(backend.code());
      o.setN_threads(nThreads);
      o.setWeight_type(weightType.code());
      long[] out = new long[1];
      Maskkv.check(Capi.maskkv_model_load(directory.toString(), o, out));
      return new Model(new NativeRef(out[0], Capi::maskkv_model_free), directory);
    } finally {
      o.delete();
    }
  }

  public Path path() {
    return path;
  }

  public ModelInfo info() {
    ModelInfo i = info;
    if (i == null) {
      maskkv_model_info c = new maskkv_model_info();
      try {
        Maskkv.check(Capi.maskkv_model_get_info(ptr(), c));
        i = new ModelInfo(Family.fromCode(c.getFamily()), c.getN_layers(), c.getD_model(),
            c.getN_heads(), c.getN_kv_heads(), c.getHead_dim(), c.getMlp_hidden(),
            c.getVocab_size(), c.getMax_seq_len(), c.getMask_id(), c.getBos_id(), c.getEos_id(),
            c.getEot_id(), c.getRope_theta(), c.getRms_norm_eps(),
            DType.fromCode(c.getWeight_dtype()), Backend.fromCode(c.getBackend()),
            c.getN_params(), c.getWeight_bytes());
      } finally {
        c.delete();
      }
      info = i;
    }
    return i;
  }

  /** The model's own tokenizer; MaskkvException NOT_FOUND when the directory has none. */
  public Tokenizer tokenizer() {
    long[] out = new long[1];
    Maskkv.check(Capi.maskkv_model_get_tokenizer(ptr(), out));
    return Tokenizer.borrowed(out[0], this);
  }

  public boolean hasTokenizer() {
    return Capi.maskkv_model_get_tokenizer(ptr(), new long[1]) == CapiConstants.MASKKV_OK;
  }

  /**
   * Prompt ids for a text prompt: tokenized with BOS/EOS as the tokenizer adds them, or
   * rendered with the chat template first when chat is true.
   */
  public int[] encodePrompt(String prompt, boolean chat) {
    return encodePrompt(prompt, new GenerateOptions().chat(chat));
  }

  /**
   * Prompt ids for a text prompt under the chat settings of options (chat, chatTemplate,
   * system, parseSpecial): a chat prompt is the system message (if any) and the prompt as a
   * user message, rendered with the template; its text is not parsed for special tokens unless
   * parseSpecial.
   */
  public int[] encodePrompt(String prompt, GenerateOptions options) {
    try (Tokenizer t = tokenizer()) {
      if (options.chat()) {
        List<ChatMessage> messages = new java.util.ArrayList<>();
        if (options.system() != null) messages.add(ChatMessage.system(options.system()));
        messages.add(ChatMessage.user(prompt));
        return t.encodeChat(messages, options.chatTemplate(), true, options.parseSpecial());
      }
      if (options.parseSpecial()) {
        throw new IllegalArgumentException("parseSpecial applies to chat prompts");
      }
      return t.encode(prompt, true);
    }
  }

  private static void refuseChatOptions(GenerateOptions options) {
    if (options.chat() || options.parseSpecial()) {
      throw new IllegalArgumentException("the chat options apply to text prompts, not to ids");
    }
  }

  /** Also used by sessions, which keep the C model alive after close(). */
  Optional<String> text(int[] tokens) {
    long[] out = new long[1];
    int st = Capi.maskkv_model_get_tokenizer(ref.ptr(), out);
    if (st == CapiConstants.MASKKV_ERR_NOT_FOUND) return Optional.empty();
    Maskkv.check(st);
    // The text stops at the first end-of-sequence or end-of-turn token (the ids stay complete).
    int eos;
    int eot;
    maskkv_model_info c = new maskkv_model_info();
    try {
      Maskkv.check(Capi.maskkv_model_get_info(ref.ptr(), c));
      eos = c.getEos_id();
      eot = c.getEot_id();
    } finally {
      c.delete();
    }
    int end = 0;
    while (end < tokens.length && tokens[end] != eos && !(eot >= 0 && tokens[end] == eot)) ++end;
    Tokenizer t = Tokenizer.borrowed(out[0], this);
    try {
      return Optional.of(t.decode(java.util.Arrays.copyOf(tokens, end), true));
    } finally {
      t.close();
    }
  }

  /** Runs one generation to the end (maskkv_generate). */
  public Generation generate(int[] promptIds, GenerateOptions options) {
    refuseChatOptions(options);
    return generateIds(promptIds, options);
  }

  private Generation generateIds(int[] promptIds, GenerateOptions options) {
    maskkv_generate_options c = options.toC();
    int[] tokens = new int[Math.max(c.getGen_length(), 0)];
    long[] n = new long[1];
    maskkv_stats stats = new maskkv_stats();
    try {
      int st = Capi.maskkv_generate(ptr(), promptIds, c, tokens, n, stats);
      if (st == CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
        tokens = new int[Math.toIntExact(n[0])];
        st = Capi.maskkv_generate(ptr(), promptIds, c, tokens, n, stats);
      }
      Maskkv.check(st);
      if (n[0] != tokens.length) tokens = java.util.Arrays.copyOf(tokens, (int) n[0]);
      return new Generation(tokens, text(tokens), Stats.of(stats), promptIds.clone());
    } finally {
      stats.delete();
    }
  }

  /** A text prompt (needs a tokenizer: NOT_FOUND otherwise). */
  public Generation generate(String prompt, GenerateOptions options) {
    return generateIds(encodePrompt(prompt, options), options);
  }

  /**
   * Begins a generation; the returned Session is an Iterator (and Iterable) over its denoising
   * steps, pull-style: each next() runs one step.
   */
  public Session stream(int[] promptIds, GenerateOptions options) {
    refuseChatOptions(options);
    return streamIds(promptIds, options);
  }

  private Session streamIds(int[] promptIds, GenerateOptions options) {
    long[] out = new long[1];
    Profile profile = options.profile();
    Maskkv.check(Capi.maskkv_session_begin(ptr(), promptIds, options.toC(), out));
    NativeRef ref = new NativeRef(out[0], Capi::maskkv_session_free, this.ref,
        profile == null ? null : profile.ref);
    return new Session(ref, this, promptIds.clone());
  }

  public Session stream(String prompt, GenerateOptions options) {
    return streamIds(encodePrompt(prompt, options), options);
  }

  @Override
  public String toString() {
    return "Model(" + path + (isClosed() ? ", closed)" : ", " + info().family() + ")");
  }
}
