package org.maskkv;

import org.maskkv.capi.maskkv_generate_options;

/**
 * maskkv_generate_options as a fluent builder. Starts from maskkv_generate_default_options();
 * each setter changes one field and returns this:
 *
 * <pre>{@code
 * GenerateOptions o = new GenerateOptions().genLength(32).blockLength(8).seed(7);
 * }</pre>
 *
 * Not thread-safe (build it on one thread, then share it read-only).
 */
public final class GenerateOptions {
  private final maskkv_generate_options c = new maskkv_generate_options(); // the C defaults
  private Profile profile;
  private boolean chat;
  private String chatTemplate;
  private String system;
  private boolean parseSpecial;

  public GenerateOptions genLength(int v) { c.setGen_length(v); return this; }
  public GenerateOptions steps(int v) { c.setSteps(v); return this; }
  public GenerateOptions blockLength(int v) { c.setBlock_length(v); return this; }
  public GenerateOptions sampler(Sampler v) { c.setSampler(v.code()); return this; }
  public GenerateOptions remasking(Remasking v) { c.setRemasking(v.code()); return this; }
  public GenerateOptions alg(Alg v) { c.setAlg(v.code()); return this; }
  public GenerateOptions algTemp(float v) { c.setAlg_temp(v); return this; }
  public GenerateOptions temperature(float v) { c.setTemperature(v); return this; }
  public GenerateOptions topP(float v) { c.setTop_p(v); return this; }
  public GenerateOptions topK(int v) { c.setTop_k(v); return this; }
  public GenerateOptions cfgScale(float v) { c.setCfg_scale(v); return this; }
  public GenerateOptions threshold(float v) { c.setThreshold(v); return this; }
  public GenerateOptions factor(float v) { c.setFactor(v); return this; }
  public GenerateOptions eosLogitInf(boolean v) { c.setEos_logit_inf(v ? 1 : 0); return this; }
  public GenerateOptions eosConfidenceInf(boolean v) { c.setEos_confidence_inf(v ? 1 : 0); return this; }
  /** The RNG seed (all 64 bits are used, as unsigned). */
  public GenerateOptions seed(long v) { c.setSeed(v); return this; }
  public GenerateOptions ropeScaling(float v) { c.setRope_scaling(v); return this; }
  public GenerateOptions policy(Policy v) { c.setPolicy(v.code()); return this; }
  public GenerateOptions budget(int v) { c.setBudget(v); return this; }
  /** A MaskKV calibration profile (with policy MASKKV); null for none. */
  public GenerateOptions profile(Profile v) { profile = v; return this; }
  public GenerateOptions online(boolean v) { c.setOnline(v ? 1 : 0); return this; }
  public GenerateOptions promptRefresh(int v) { c.setPrompt_refresh(v); return this; }
  public GenerateOptions responseRefresh(int v) { c.setResponse_refresh(v); return this; }
  public GenerateOptions rho(float v) { c.setRho(v); return this; }
  public GenerateOptions alpha(float v) { c.setAlpha(v); return this; }
  public GenerateOptions beta(float v) { c.setBeta(v); return this; }
  public GenerateOptions window(int v) { c.setWindow(v); return this; }
  public GenerateOptions poolKernel(int v) { c.setPool_kernel(v); return this; }
  /** Render a text prompt with the tokenizer's chat template (an id prompt with it is refused). */
  public GenerateOptions chat(boolean v) { chat = v; return this; }
  /**
   * The chat template: "llada", "chatml", "llama3" or the path of a Jinja template file of one
   * of them; null (default) for the tokenizer's own. Implies chat.
   */
  public GenerateOptions chatTemplate(String v) { chatTemplate = v; return this; }
  /** A system message before the prompt; null (default) for none. Implies chat. */
  public GenerateOptions system(String v) { system = v; return this; }
  /**
   * Let special-token text in the prompt ("&lt;|eot_id|&gt;") become the special token; by
   * default a chat prompt's text stays text, so a user cannot inject turn markers.
   */
  public GenerateOptions parseSpecial(boolean v) { parseSpecial = v; return this; }

  public int genLength() { return c.getGen_length(); }
  public int steps() { return c.getSteps(); }
  public int blockLength() { return c.getBlock_length(); }
  public long seed() { return c.getSeed(); }
  public Policy policy() { return Policy.fromCode(c.getPolicy()); }
  public int budget() { return c.getBudget(); }
  public Profile profile() { return profile; }
  /** True when the prompt is a chat prompt: chat, chatTemplate or system was set. */
  public boolean chat() { return chat || chatTemplate != null || system != null; }
  public String chatTemplate() { return chatTemplate; }
  public String system() { return system; }
  public boolean parseSpecial() { return parseSpecial; }

  /** The C struct, with the profile's handle filled in (valid while the profile is open). */
  maskkv_generate_options toC() {
    c.setProfile(profile == null ? 0 : profile.ptr());
    return c;
  }
}
