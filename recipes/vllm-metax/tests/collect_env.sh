#!/bin/sh
# Print vLLM's and vLLM-metax's view of the environment (MACA SDK, driver,
# mx-smi, torch, vLLM, plugin) and keep a copy in /tmp/vllm-collect-env.txt.
# vLLM-metax installs vllm_collect_env from branch v0.10.1.1-dev on
# (pyproject.toml); older branches have only vLLM's own collect_env module.
out=/tmp/vllm-collect-env.txt
if command -v vllm_collect_env >/dev/null 2>&1; then
	vllm_collect_env >"$out" 2>&1
else
	python3 -m vllm.collect_env >"$out" 2>&1
fi
status=$?
cat "$out"
exit "$status"
