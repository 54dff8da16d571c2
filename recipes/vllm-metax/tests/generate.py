"""Offline generation with vLLM on a MetaX GPU: the smallest end-to-end check.

Usage: python3 generate.py [--graph] [MODEL_DIR]   (default /opt/macabox/models/smoke-llm)

Greedy decoding of two short prompts. By default the model runs eagerly
(enforce_eager=True); --graph lets vLLM compile and capture graphs
(enforce_eager=False), the two modes vLLM-metax's own e2e test covers. One
prompt has a well-known continuation, so wrong kernels show up as wrong text,
not only as a crash.
"""

import os
import sys

PROMPTS = ["MetaX is a", "The capital of France is"]


def main():
    args = sys.argv[1:]
    graph = "--graph" in args
    args = [a for a in args if a != "--graph"]
    model = args[0] if args else "/opt/macabox/models/smoke-llm"
    if not os.path.exists(os.path.join(model, "config.json")):
        sys.exit("no model at %s: build with SMOKE_MODEL set, or mount one there" % model)
    from vllm import LLM, SamplingParams

    print("mode: %s" % ("graph (enforce_eager=False)" if graph else "eager (enforce_eager=True)"))
    llm = LLM(model=model, enforce_eager=not graph, max_model_len=2048,
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
