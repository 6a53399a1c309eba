/* A minimal C program on libmaskkv: load a model, stream the denoising steps of one
 * generation, print the response ids.
 *
 *   usage: example_c_generate MODEL_DIR [PROMPT_IDS...]
 */
#include <stdio.h>
#include <stdlib.h>

#include "maskkv.h"

static int fail(const char* what, maskkv_status status) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, maskkv_last_error(), maskkv_status_name(status));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL_DIR [PROMPT_IDS...]\n", argv[0]);
    return 2;
  }
  printf("maskkv %s\n", maskkv_version());

  maskkv_model* model = NULL;
  maskkv_status st = maskkv_model_load(argv[1], NULL, &model);
  if (st != MASKKV_OK) return fail("maskkv_model_load", st);

  int32_t prompt[256];
  size_t n_prompt = 0;
  for (int i = 2; i < argc && n_prompt < 256; ++i) prompt[n_prompt++] = (int32_t)atoi(argv[i]);
  if (n_prompt == 0) prompt[n_prompt++] = 1;

  maskkv_generate_options options;
  maskkv_generate_default_options(&options);
  options.gen_length = 16;
  options.steps = 16;
  options.block_length = 8;

  maskkv_session* session = NULL;
  st = maskkv_session_begin(model, prompt, n_prompt, &options, &session);
  if (st != MASKKV_OK) {
    maskkv_model_free(model);
    return fail("maskkv_session_begin", st);
  }

  int32_t done = 0;
  while (!done) {
    st = maskkv_session_step(session, &done);
    if (st != MASKKV_OK) break;
    maskkv_stats stats;
    stats.size = sizeof(stats);
    maskkv_session_get_stats(session, &stats);
    printf("step %d: committed %d, %d masks left\n", stats.steps, stats.last_committed,
           stats.masks_left);
  }
  if (st == MASKKV_OK) {
    int32_t tokens[16];
    size_t n = 0;
    st = maskkv_session_tokens(session, tokens, 16, &n);
    if (st == MASKKV_OK) {
      printf("response:");
      for (size_t i = 0; i < n; ++i) printf(" %d", tokens[i]);
      printf("\n");
    }
  }
  maskkv_session_free(session);
  maskkv_model_free(model);
  return st == MASKKV_OK ? 0 : fail("generation", st);
}
