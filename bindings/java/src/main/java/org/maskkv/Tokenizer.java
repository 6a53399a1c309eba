package org.maskkv;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.maskkv.capi.Capi;
import org.maskkv.capi.CapiConstants;
import org.maskkv.capi.maskkv_chat_options;

/**
 * A tokenizer: a tokenizer.json, a SentencePiece .model, or a model directory holding either.
 * {@link #load} gives one this object owns; {@link Model#tokenizer()} gives the model's own
 * (closing that one does nothing; it lives as long as its model). Safe to share across threads.
 */
public final class Tokenizer extends Handle {
  private final Model owner;

  private Tokenizer(NativeRef ref, Model owner) {
    super(ref, "tokenizer");
    this.owner = owner;
  }

  public static Tokenizer load(Path path) {
    long[] out = new long[1];
    Maskkv.check(Capi.maskkv_tokenizer_load(path.toString(), out));
    return new Tokenizer(new NativeRef(out[0], Capi::maskkv_tokenizer_free), null);
  }

  static Tokenizer borrowed(long ptr, Model owner) {
    // No free function: the model owns it; the reference keeps the model's handle alive.
    return new Tokenizer(new NativeRef(ptr, null, owner.ref), owner);
  }

  /**
   * Text to ids; addSpecial adds BOS/EOS as the tokenizer's post-processor says (never a second
   * BOS to text that already begins with one). Special-token text becomes the special token; for
   * user content use {@link #encodeChat}.
   */
  public int[] encode(String text, boolean addSpecial) {
    return encode(text.getBytes(StandardCharsets.UTF_8), addSpecial);
  }

  /** UTF-8 bytes to ids (invalid UTF-8 is INVALID_ARGUMENT). */
  public int[] encode(byte[] utf8, boolean addSpecial) {
    long p = ptr();
    long[] n = new long[1];
    int flag = addSpecial ? 1 : 0;
    int st = Capi.maskkv_tokenize(p, utf8, flag, null, n);
    if (st != CapiConstants.MASKKV_OK && st != CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
      throw Maskkv.error(st);
    }
    int[] ids = new int[Math.toIntExact(n[0])];
    if (ids.length > 0) Maskkv.check(Capi.maskkv_tokenize(p, utf8, flag, ids, n));
    return ids;
  }

  /** Ids to the UTF-8 bytes the tokenizer produces. */
  public byte[] decodeBytes(int[] ids, boolean skipSpecial) {
    long p = ptr();
    long[] n = new long[1];
    int flag = skipSpecial ? 1 : 0;
    int st = Capi.maskkv_detokenize(p, ids, flag, null, n);
    if (st != CapiConstants.MASKKV_OK && st != CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
      throw Maskkv.error(st);
    }
    byte[] text = new byte[Math.toIntExact(n[0])];
    if (text.length > 0) Maskkv.check(Capi.maskkv_detokenize(p, ids, flag, text, n));
    return text;
  }

  /** Ids to text (malformed UTF-8 of a partial response becomes U+FFFD). */
  public String decode(int[] ids, boolean skipSpecial) {
    return new String(decodeBytes(ids, skipSpecial), StandardCharsets.UTF_8);
  }

  /**
   * Renders messages with a chat template and tokenizes them: the template's markers and BOS
   * become special tokens, the messages' text stays text unless parseSpecial. templateName as
   * for {@link #applyChatTemplate}.
   */
  public int[] encodeChat(List<ChatMessage> messages, String templateName,
      boolean addGenerationPrompt, boolean parseSpecial) {
    long p = ptr();
    String[] flat = new String[messages.size() * 2];
    for (int i = 0; i < messages.size(); ++i) {
      flat[2 * i] = messages.get(i).role();
      flat[2 * i + 1] = messages.get(i).content();
    }
    maskkv_chat_options o = new maskkv_chat_options();
    try {
      if (templateName != null) o.setTemplate_name(templateName);
      o.setAdd_generation_prompt(addGenerationPrompt ? 1 : 0);
      o.setParse_special(parseSpecial ? 1 : 0);
      long[] n = new long[1];
      int st = Capi.maskkv_tokenize_chat(p, flat, o, null, n);
      if (st != CapiConstants.MASKKV_OK && st != CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
        throw Maskkv.error(st);
      }
      int[] ids = new int[Math.toIntExact(n[0])];
      if (ids.length > 0) Maskkv.check(Capi.maskkv_tokenize_chat(p, flat, o, ids, n));
      return ids;
    } finally {
      o.delete();
    }
  }

  /**
   * Renders messages with a chat template: templateName null picks the one the tokenizer's
   * directory names; "llada", "chatml" (Dream), "llama3" or the path of a Jinja template file
   * of one of those families override.
   */
  public String applyChatTemplate(List<ChatMessage> messages, String templateName,
      boolean addGenerationPrompt) {
    long p = ptr();
    String[] flat = new String[messages.size() * 2];
    for (int i = 0; i < messages.size(); ++i) {
      flat[2 * i] = messages.get(i).role();
      flat[2 * i + 1] = messages.get(i).content();
    }
    long[] n = new long[1];
    int gen = addGenerationPrompt ? 1 : 0;
    int st = Capi.maskkv_apply_chat_template(p, templateName, flat, gen, null, n);
    if (st != CapiConstants.MASKKV_OK && st != CapiConstants.MASKKV_ERR_BUFFER_TOO_SMALL) {
      throw Maskkv.error(st);
    }
    byte[] text = new byte[Math.toIntExact(n[0])];
    if (text.length > 0) {
      Maskkv.check(Capi.maskkv_apply_chat_template(p, templateName, flat, gen, text, n));
    }
    return new String(text, StandardCharsets.UTF_8);
  }
}
