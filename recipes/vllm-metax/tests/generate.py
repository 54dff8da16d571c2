"""Offline generation with vLLM on a MetaX GPU: the smallest end-to-end check.

Usage: python3 generate.py [MODEL_DIR]   (default /opt/macabox/models/smoke-llm)

Greedy decoding of two short prompts with an eager (uncompiled) model. One prompt
has a well-known continuation, so wrong kernels show up as wrong text, not only as
a crash.
"""

import os
import sys

MODEL = sys.argv[1] if len(sys.argv) > 1 else "/opt/macabox/models/smoke-llm"
PROMPTS = ["MetaX is a", "The capital of France is"]


def main():
    if not os.path.exists(os.path.join(MODEL, "config.json")):
        sys.exit("no model at %s: build with SMOKE_MODEL set, or mount one there" % MODEL)
    from vllm import LLM, SamplingParams

    llm = LLM(model=MODEL, enforce_eager=True, max_model_len=2048,
              gpu_memory_utilization=0.5, tensor_parallel_size=1)
    outputs = llm.generate(PROMPTS, SamplingParams(temperature=0.0, max_tokens=16))
    empty = False
    for out in outputs:
        text = out.outputs[0].text
        print("GENERATED: %r -> %r" % (out.prompt, text))
        empty = empty or not text.strip()
    if empty:
        sys.exit("an output was empty")


if __name__ == "__main__":
    main()
