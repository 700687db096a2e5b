#!/usr/bin/env python3
"""Generate cost_cases.json and model_info_models.json from litellm.model_cost.

Run with the pinned LiteLLM venv (scripts/litellm-env.sh):

    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/make_cost_cases.py            # rewrites both files
    "$PY" tests/differential/make_cost_cases.py --check    # exit 1 if they differ

Only *inputs* are generated here (model strings and token counts); the
expected answers come from `litellm_oracle.py cost` / `model_info` at test
time. The output depends only on SEED and on the model map bundled with the
installed LiteLLM (litellm_oracle.import_litellm() sets
LITELLM_LOCAL_MODEL_COST_MAP=True, so no remote map is fetched): candidate
lists are sorted before every seeded choice, so reruns are byte-identical.

Usage convention of the cases (LiteLLM's / OpenAI's): prompt_tokens includes
cache_read_input_tokens, cache_creation_input_tokens and prompt_audio_tokens;
completion_tokens includes reasoning_tokens and completion_audio_tokens. A few
"edge" cases break this on purpose (e.g. cached > prompt) to pin down what
LiteLLM does then.
"""

import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ next to the cases

import litellm_oracle  # noqa: E402

SEED = 1826
COST_FILE = os.path.join(HERE, "cost_cases.json")
MODEL_INFO_FILE = os.path.join(HERE, "model_info_models.json")

# Never generated: OAuth device logins (chatgpt, github_copilot), a network
# fetch of config.json (huggingface), and the map's documentation entry.
EXCLUDED_PROVIDERS = {"chatgpt", "github_copilot", "huggingface"}
EXCLUDED_KEYS = {"sample_spec"}
TOKEN_MODES = {"chat", "completion", "responses", "embedding"}

# Providers drawn for the plain-chat category, with how many models each.
PLAIN_PROVIDERS = {
    "openai": 14,
    "azure": 10,
    "anthropic": 8,
    "gemini": 8,
    "vertex_ai": 10,  # every vertex_ai-* litellm_provider
    "bedrock": 10,  # bedrock + bedrock_converse
    "mistral": 6,
    "groq": 5,
    "deepseek": 4,
    "cohere": 3,
    "cohere_chat": 3,
    "together_ai": 5,
    "fireworks_ai": 6,
    "openrouter": 6,
    "xai": 5,
    "perplexity": 4,
    "deepinfra": 4,
    "databricks": 3,
    "azure_ai": 4,
    "text-completion-openai": 2,
    "cerebras": 2,
    "ollama": 2,
    "novita": 2,
    "moonshot": 2,
    "sambanova": 2,
    "vercel_ai_gateway": 2,
    "nebius": 2,
    "replicate": 2,
    "watsonx": 2,
    "ai21": 2,
    "dashscope": 2,
    "lemonade": 1,
    "zai": 1,
}

# Hand-picked must-haves: (model, custom_llm_provider, usage, tags, note)
CURATED = [
    ("gpt-4o", None, {"prompt_tokens": 1000, "completion_tokens": 500}, ["plain", "bare"], ""),
    ("openai/gpt-4o", None, {"prompt_tokens": 1000, "completion_tokens": 500}, ["plain", "prefixed"], ""),
    ("gpt-4o", "openai", {"prompt_tokens": 1000, "completion_tokens": 500}, ["plain", "custom_provider"], ""),
    ("azure/gpt-4o", None, {"prompt_tokens": 1000, "completion_tokens": 500}, ["plain", "prefixed"], ""),
    ("gpt-4o", "azure", {"prompt_tokens": 1000, "completion_tokens": 500}, ["plain", "custom_provider"], ""),
    ("gpt-4o-mini", None, {"prompt_tokens": 12345, "completion_tokens": 678, "cache_read_input_tokens": 10000}, ["cache"], ""),
    ("gpt-4o", None, {"prompt_tokens": 0, "completion_tokens": 0}, ["edge", "zero"], "zero usage"),
    ("gpt-4o", None, {"prompt_tokens": 10000000, "completion_tokens": 2000000}, ["edge", "large"], "ten million prompt tokens"),
    ("o3-mini", None, {"prompt_tokens": 2000, "completion_tokens": 3000, "reasoning_tokens": 2500}, ["reasoning"], "reasoning billed at the output rate"),
    ("o1", None, {"prompt_tokens": 2000, "completion_tokens": 3000, "cache_read_input_tokens": 1024, "reasoning_tokens": 2048}, ["reasoning", "cache"], ""),
    ("text-embedding-3-small", None, {"prompt_tokens": 8191, "completion_tokens": 0}, ["embedding", "bare"], "", ),
    ("openai/text-embedding-3-large", None, {"prompt_tokens": 500, "completion_tokens": 0}, ["embedding", "prefixed"], ""),
    ("claude-sonnet-4-5", None, {"prompt_tokens": 5000, "completion_tokens": 800, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 1500}, ["cache"], ""),
    ("anthropic/claude-sonnet-4-5", None, {"prompt_tokens": 5000, "completion_tokens": 800, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 1500}, ["cache", "prefixed"], ""),
    ("claude-sonnet-4-5", "anthropic", {"prompt_tokens": 250000, "completion_tokens": 800, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 1500}, ["cache", "tiered", "above"], ""),
    ("claude-opus-4-6", None, {"prompt_tokens": 200000, "completion_tokens": 10}, ["tiered", "at_threshold"], "exactly at the threshold: not above"),
    ("claude-opus-4-6", None, {"prompt_tokens": 200001, "completion_tokens": 10}, ["tiered", "above"], "one above the threshold"),
    ("gemini/gemini-2.5-pro", None, {"prompt_tokens": 150000, "completion_tokens": 2000, "cache_read_input_tokens": 100000}, ["tiered", "below", "cache"], ""),
    ("gemini/gemini-2.5-pro", None, {"prompt_tokens": 250000, "completion_tokens": 2000, "cache_read_input_tokens": 100000}, ["tiered", "above", "cache"], ""),
    ("gemini-2.5-pro", "gemini", {"prompt_tokens": 250000, "completion_tokens": 2000, "reasoning_tokens": 1500}, ["tiered", "above", "reasoning", "custom_provider"], ""),
    ("vertex_ai/gemini-2.5-pro", None, {"prompt_tokens": 250000, "completion_tokens": 2000}, ["tiered", "above", "prefixed"], ""),
    ("gemini-2.5-pro", None, {"prompt_tokens": 1000, "completion_tokens": 2000}, ["plain", "bare"], "bare gemini-* names are vertex_ai in the map"),
    ("gemini/gemini-1.5-flash", None, {"prompt_tokens": 130000, "completion_tokens": 0}, ["tiered", "above", "embedding"], "gemini/ above_128k entry"),
    ("gpt-5.4", None, {"prompt_tokens": 300000, "completion_tokens": 1000, "cache_read_input_tokens": 200000}, ["tiered", "above", "cache"], ""),
    ("xai/grok-4-0709", None, {"prompt_tokens": 1000, "completion_tokens": 500, "reasoning_tokens": 400}, ["reasoning"], "xAI adds reasoning to completion"),
    ("xai/grok-4-0709", None, {"prompt_tokens": 140000, "completion_tokens": 500, "cache_read_input_tokens": 50000}, ["tiered", "above", "cache"], ""),
    ("perplexity/sonar-deep-research", None, {"prompt_tokens": 1000, "completion_tokens": 500, "reasoning_tokens": 400}, ["reasoning"], "perplexity bills reasoning on top of completion"),
    ("deepseek/deepseek-chat", None, {"prompt_tokens": 4000, "completion_tokens": 500, "cache_read_input_tokens": 3000}, ["cache"], ""),
    ("deepseek-reasoner", "deepseek", {"prompt_tokens": 4000, "completion_tokens": 500, "reasoning_tokens": 300}, ["reasoning", "custom_provider"], ""),
    ("gpt-4o-audio-preview", None, {"prompt_tokens": 3000, "completion_tokens": 900, "prompt_audio_tokens": 2000, "completion_audio_tokens": 600}, ["audio"], ""),
    ("dashscope/qwen3-max", None, {"prompt_tokens": 150000, "completion_tokens": 40000}, ["tiered_pricing"], "spans three tiers"),
    ("dashscope/qwen-flash", None, {"prompt_tokens": 300000, "completion_tokens": 1000, "cache_read_input_tokens": 1000}, ["tiered_pricing", "cache"], ""),
    ("volcengine/doubao-seed-2-0-pro-260215", None, {"prompt_tokens": 50000, "completion_tokens": 1000}, ["tiered_pricing"], "generic path ignores tiered_pricing"),
    ("lemonade/anything-local", None, {"prompt_tokens": 100, "completion_tokens": 100}, ["local"], "lemonade is always 0"),
    ("ollama/llama3", None, {"prompt_tokens": 100, "completion_tokens": 100}, ["local"], ""),
    ("ollama/not-in-the-map", None, {"prompt_tokens": 100, "completion_tokens": 100}, ["local"], "ollama asks localhost:11434 (blocked)"),
    # edge: details larger than prompt_tokens (Anthropic-style usage): text tokens go negative
    ("claude-haiku-4-5", None, {"prompt_tokens": 100, "completion_tokens": 20, "cache_read_input_tokens": 5000, "cache_creation_input_tokens": 300}, ["edge", "cache"], "cached > prompt: negative text tokens"),
    ("gpt-4o", None, {"prompt_tokens": 100, "completion_tokens": 20, "cache_read_input_tokens": 500}, ["edge", "cache"], "cached > prompt"),
    ("o3-mini", None, {"prompt_tokens": 100, "completion_tokens": 20, "reasoning_tokens": 50}, ["edge", "reasoning"], "reasoning > completion"),
    ("gpt-4o", None, {"prompt_tokens": 1000, "completion_tokens": 100, "cache_creation_input_tokens": 400}, ["edge", "cache"], "cache creation on a model without a creation price"),
    ("llama-3.3-70b-versatile", "groq", {"prompt_tokens": 1000, "completion_tokens": 100, "cache_read_input_tokens": 600}, ["edge", "cache"], "cache read on a model without a cache price"),
    # errors
    ("gpt-nonexistent-9", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], "bare unknown model: no provider"),
    ("openai/gpt-nonexistent-9", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], "known provider, unknown model"),
    ("anthropic/claude-nonexistent", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], ""),
    ("made-up-model", "groq", {"prompt_tokens": 10, "completion_tokens": 10}, ["error", "custom_provider"], ""),
    ("gemini/gemini-0.1-imaginary", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], ""),
    ("vertex_ai/imaginary-model", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], ""),
    ("bedrock/imaginary.model-v1:0", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], ""),
    ("azure/my-deployment", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], "azure deployment name not in the map"),
    ("llamafile/gemma-3-3b", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error", "local"], ""),
    ("hosted_vllm/my-model", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error", "local"], ""),
    ("", None, {"prompt_tokens": 10, "completion_tokens": 10}, ["error"], "empty model"),
]


def route_provider(lp):
    """The provider name a user would pass / prefix for a map entry."""
    if lp.startswith("vertex_ai"):
        return "vertex_ai"
    if lp in ("bedrock_converse",):
        return "bedrock"
    if lp.startswith("fireworks_ai"):
        return "fireworks_ai"
    return lp


def forms(key, rp):
    """Ways to name a map entry: (model, custom_llm_provider, tag)."""
    out = [(key, None, "prefixed" if "/" in key else "bare")]
    head, sep, rest = key.partition("/")
    if sep and head == rp:
        out.append((rest, rp, "custom_provider"))
    elif not sep:
        out.append((f"{rp}/{key}", None, "prefixed"))
        out.append((key, rp, "custom_provider"))
    else:
        out.append((key, rp, "custom_provider"))
    return out


def eligible(mc):
    rows = []
    for key in sorted(mc):
        v = mc[key]
        lp = v.get("litellm_provider")
        if key in EXCLUDED_KEYS or not isinstance(lp, str) or lp in EXCLUDED_PROVIDERS:
            continue
        if v.get("mode") not in TOKEN_MODES:
            continue
        rows.append((key, v, lp, route_provider(lp)))
    return rows


def has_price(v):
    return any(isinstance(v.get(k), (int, float)) and v.get(k) for k in ("input_cost_per_token", "output_cost_per_token"))


def thresholds(v):
    out = []
    for k in v:
        m = re.fullmatch(r"input_cost_per_token_above_(\d+)(k?)_tokens", k)
        if m:
            out.append(int(m.group(1)) * (1000 if m.group(2) else 1))
    return sorted(out)


class Gen:
    def __init__(self, mc):
        self.rng = random.Random(SEED)
        self.mc = mc
        self.cases = []
        self.rows = eligible(mc)

    def pick(self, seq, n):
        seq = sorted(seq)
        if len(seq) <= n:
            return seq
        return sorted(self.rng.sample(seq, n))

    def add(self, cat, model, prov, usage, tags, note=""):
        n = len(self.cases)
        self.cases.append(
            {
                "id": f"{cat}-{n:03d}",
                "model": model,
                "custom_llm_provider": prov,
                "usage": usage,
                "tags": tags,
                "note": note,
            }
        )

    def add_key(self, cat, key, rp, usage, tags, note=""):
        f = forms(key, rp)
        model, prov, ftag = f[self.rng.randrange(len(f))]
        self.add(cat, model, prov, usage, tags + [ftag], note or f"map key {key}")

    def usage(self, p_lo=1, p_hi=60000, c_lo=0, c_hi=8000):
        return {"prompt_tokens": self.rng.randint(p_lo, p_hi), "completion_tokens": self.rng.randint(c_lo, c_hi)}

    def run(self):
        rng = self.rng
        for model, prov, usage, tags, note in CURATED:
            self.add("curated", model, prov, usage, tags, note)

        # plain chat models, per provider
        for rp, n in PLAIN_PROVIDERS.items():
            keys = [k for k, v, lp, r in self.rows if r == rp and v.get("mode") in ("chat", "completion", "responses") and has_price(v)]
            for key in self.pick(keys, n):
                self.add_key("plain", key, rp, self.usage(), ["plain"])

        # prompt caching: read (+ creation where priced)
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("cache_read_input_token_cost") and has_price(v) and not thresholds(v)]
        for key, rp in self.pick(keys, 45):
            v = self.mc[key]
            u = self.usage(p_lo=2000, p_hi=90000)
            u["cache_read_input_tokens"] = rng.randint(0, u["prompt_tokens"] // 2)
            if v.get("cache_creation_input_token_cost"):
                u["cache_creation_input_tokens"] = rng.randint(0, u["prompt_tokens"] // 3)
            self.add_key("cache", key, rp, u, ["cache"])
        # cache creation priced: make sure all those families are hit
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("cache_creation_input_token_cost") and has_price(v) and not thresholds(v)]
        for key, rp in self.pick(keys, 15):
            u = self.usage(p_lo=5000, p_hi=100000)
            u["cache_creation_input_tokens"] = rng.randint(1, u["prompt_tokens"] // 2)
            u["cache_read_input_tokens"] = rng.randint(0, u["prompt_tokens"] // 3)
            self.add_key("cache_write", key, rp, u, ["cache"])

        # tiered prices: below / above (and cache above) every threshold family
        keys = [(k, r) for k, v, lp, r in self.rows if thresholds(v) and has_price(v)]
        by_thr = {}
        for key, rp in keys:
            by_thr.setdefault(thresholds(self.mc[key])[0], []).append((key, rp))
        picked = []
        for thr in sorted(by_thr):  # every threshold family, 200k (the big one) most
            picked += self.pick(by_thr[thr], 24 if thr == 200000 else 6)
        for key, rp in picked:
            v = self.mc[key]
            thr = thresholds(v)[0]
            below = self.usage(p_lo=1000, p_hi=thr - 1)
            above = self.usage(p_lo=thr + 1, p_hi=thr * 2)
            if v.get("cache_read_input_token_cost"):
                above["cache_read_input_tokens"] = rng.randint(1, above["prompt_tokens"] // 2)
                below["cache_read_input_tokens"] = rng.randint(1, below["prompt_tokens"] // 2)
            if v.get("cache_creation_input_token_cost"):
                above["cache_creation_input_tokens"] = rng.randint(1, above["prompt_tokens"] // 4)
            self.add_key("tiered", key, rp, below, ["tiered", "below"], f"map key {key}, threshold {thr}")
            self.add_key("tiered", key, rp, above, ["tiered", "above"], f"map key {key}, threshold {thr}")

        # reasoning tokens: priced separately, and billed at the output rate
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("output_cost_per_reasoning_token") is not None and has_price(v)]
        for key, rp in self.pick(keys, 22):
            u = self.usage(c_lo=100, c_hi=20000)
            u["reasoning_tokens"] = rng.randint(0, u["completion_tokens"])
            self.add_key("reasoning", key, rp, u, ["reasoning"])
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("supports_reasoning") and v.get("output_cost_per_reasoning_token") is None and has_price(v) and not thresholds(v)]
        for key, rp in self.pick(keys, 18):
            u = self.usage(c_lo=100, c_hi=20000)
            u["reasoning_tokens"] = rng.randint(1, u["completion_tokens"])
            if self.mc[key].get("cache_read_input_token_cost"):
                u["cache_read_input_tokens"] = rng.randint(0, u["prompt_tokens"])
            self.add_key("reasoning", key, rp, u, ["reasoning", "no_reasoning_price"])

        # embeddings
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("mode") == "embedding" and has_price(v)]
        for key, rp in self.pick(keys, 24):
            self.add_key("embedding", key, rp, {"prompt_tokens": rng.randint(1, 8191), "completion_tokens": 0}, ["embedding"])

        # audio tokens
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("input_cost_per_audio_token") and v.get("mode") == "chat" and has_price(v)]
        for key, rp in self.pick(keys, 10):
            u = self.usage(p_lo=1000, p_hi=20000, c_lo=100, c_hi=4000)
            u["prompt_audio_tokens"] = rng.randint(0, u["prompt_tokens"])
            u["completion_audio_tokens"] = rng.randint(0, u["completion_tokens"])
            self.add_key("audio", key, rp, u, ["audio"])

        # dashscope tiered_pricing lists
        keys = [(k, r) for k, v, lp, r in self.rows if isinstance(v.get("tiered_pricing"), list)]
        for key, rp in self.pick(keys, 8):
            u = self.usage(p_lo=1000, p_hi=300000, c_lo=10, c_hi=50000)
            if rng.random() < 0.5:
                u["cache_read_input_tokens"] = rng.randint(0, u["prompt_tokens"] // 2)
            self.add_key("tiered_pricing", key, rp, u, ["tiered_pricing"])

        # zero-priced and per-second entries (no token price at all)
        keys = [(k, r) for k, v, lp, r in self.rows if v.get("mode") == "chat" and not has_price(v) and not isinstance(v.get("tiered_pricing"), list)]
        for key, rp in self.pick(keys, 8):
            self.add_key("unpriced", key, rp, self.usage(), ["unpriced"])
        return self.cases


def model_info_cases(mc, rng):
    rows = eligible(mc)
    out = []
    seen = set()

    def add(model, prov):
        if (model, prov) not in seen:
            seen.add((model, prov))
            out.append({"model": model, "custom_llm_provider": prov})

    for rp, n in PLAIN_PROVIDERS.items():
        keys = sorted(k for k, v, lp, r in rows if r == rp)
        for key in sorted(rng.sample(keys, min(len(keys), n + (n + 1) // 2))):
            f = forms(key, rp)
            model, prov, _ = f[rng.randrange(len(f))]
            add(model, prov)
    # all three forms for a few well-known ones
    for key, rp in (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("o3-mini", "openai"),
                    ("claude-sonnet-4-5", "anthropic"), ("text-embedding-3-small", "openai"),
                    ("gemini-2.5-pro", "vertex_ai"), ("gemini/gemini-2.5-flash", "gemini"),
                    ("mistral/mistral-large-latest", "mistral"), ("groq/llama-3.3-70b-versatile", "groq"),
                    ("deepseek/deepseek-chat", "deepseek"), ("xai/grok-4-0709", "xai"),
                    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock")):
        for model, prov, _ in forms(key, rp):
            add(model, prov)
    for model, prov in (
        ("azure/gpt-4o", None), ("gpt-4o", "azure"), ("gpt-35-turbo", None), ("azure/gpt-35-turbo", None),
        ("gemini-2.5-pro", "gemini"), ("claude-3-5-sonnet-20240620", "bedrock"),
        ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", None), ("bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", None),
        ("GPT-4O", None), ("openai/GPT-4o-Mini", None),
        ("ft:gpt-4o-mini-2024-07-18:my-org:custom:abc123", None),
        ("gemini/gemini-2.0-flash-001", None), ("vertex_ai/gemini-2.0-flash-001", None),
        ("openrouter/anthropic/claude-3.5-sonnet", None), ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", None),
        ("text-completion-openai/gpt-3.5-turbo-instruct", None), ("gpt-3.5-turbo-instruct", None),
        ("llamafile/gemma-3-3b", None), ("ollama/llama3", None), ("ollama_chat/llama3", None),
        ("ollama/not-in-the-map", None), ("lemonade/anything-local", None), ("lm_studio/qwen2.5-7b", None),
        ("hosted_vllm/my-model", None), ("openai/my-local-model", None), ("llamafile/mistral-7b", "llamafile"),
        ("gpt-nonexistent-9", None), ("openai/gpt-nonexistent-9", None), ("anthropic/claude-nonexistent", None),
        ("made-up-model", "groq"), ("", None), ("unknown-provider/some-model", None),
    ):
        add(model, prov)
    return out


def build():
    litellm = litellm_oracle.import_litellm()
    mc = litellm.model_cost
    cost = Gen(mc).run()
    info = model_info_cases(mc, random.Random(SEED + 1))
    return cost, info


def dump(obj):
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def main(argv):
    cost, info = build()
    outputs = {COST_FILE: dump(cost), MODEL_INFO_FILE: dump(info)}
    if "--check" in argv:
        stale = [p for p, text in outputs.items() if not os.path.exists(p) or open(p).read() != text]
        for p in stale:
            print(f"stale: {p}", file=sys.stderr)
        return 1 if stale else 0
    for p, text in outputs.items():
        with open(p, "w") as f:
            f.write(text)
    print(f"{len(cost)} cost cases, {len(info)} model_info cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
