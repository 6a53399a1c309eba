#!/usr/bin/env python3
"""Load a model, stream the denoising steps of one generation, print the response.

    usage: generate.py MODEL_DIR [PROMPT_IDS... | --text PROMPT]

Without a tokenizer in MODEL_DIR the prompt must be token ids.
"""
import sys

import maskkv


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if len(argv) > 3 and argv[2] == "--text":
        prompt = " ".join(argv[3:])
    else:
        prompt = [int(a) for a in argv[2:]] or [1]
    print("maskkv", maskkv.version())
    try:
        with maskkv.Model(argv[1]) as model:
            session = model.stream(prompt, gen_length=16, steps=16,
                                   block_length=16 if model.info.family == maskkv.Family.DREAM else 8)
            with session:
                for step in session:
                    print(f"step {step.index}: committed {step.committed}, "
                          f"{step.masks_left} masks left")
                print("response:", " ".join(str(t) for t in session.tokens))
                if session.text is not None:
                    print("text:", session.text)
    except maskkv.Error as e:
        print(f"maskkv error: {e.message} ({e.status_name})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
