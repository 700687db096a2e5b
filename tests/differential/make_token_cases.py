#!/usr/bin/env python3
"""Generate token_cases.json (inputs for `litellm_oracle.py tokens`).

Plain python, no LiteLLM needed; the output is a pure function of this file:

    python3 tests/differential/make_token_cases.py            # rewrite
    python3 tests/differential/make_token_cases.py --check    # exit 1 if stale

Expected counts are never stored here: they come from litellm.token_counter at
test time. Tags: "text" (token_counter(text=)), "messages", "tools",
"tool_choice", "image", "error" (LiteLLM raises), "alias" (model string that
LiteLLM does not find in its OpenAI model list and so counts with the
gpt-3.5-turbo tokenizer, cl100k_base), "tiktoken_edge" (in the list, but
tiktoken.encoding_for_model does not know it: cl100k_base fallback), "non_openai" (LiteLLM picks a
non-tiktoken tokenizer or tries a HuggingFace download; the oracle blocks the
network, so LiteLLM falls back to tiktoken there).
"""

import base64
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "token_cases.json")

CORE_MODELS = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-3.5-turbo",
    "gpt-4",
    "o1",
    "o3-mini",
    "text-embedding-3-small",
]

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua. "
)

TEXTS = {
    "ascii": "The quick brown fox jumps over the lazy dog.",
    "empty": "",
    "space": " ",
    "whitespace_mix": "  \t\n\n   \r\n\t\t  x  \n",
    "many_spaces": " " * 257,
    "newlines": "\n" * 40,
    "unicode_latin": "Ça va? Größe, naïve café, smørrebrød, Dvořák, façade.",
    "emoji": "I ❤️ 🦀 and 🐍! 👩‍👩‍👧‍👦 🇯🇵 🏳️‍🌈 👍🏽",
    "cjk": "机器学习是人工智能的一个分支。我们今天去北京。",
    "japanese": "吾輩は猫である。名前はまだ無い。カタカナとひらがな。",
    "korean": "안녕하세요, 세계! 한국어 토큰화 테스트입니다.",
    "arabic_hindi": "مرحبا بالعالم — नमस्ते दुनिया — שלום עולם",
    "code_python": "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(10)])\n",
    "code_rust": "fn main() {\n    let v: Vec<u64> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n",
    "json": json.dumps({"id": "call_abc123", "args": {"city": "Paris", "days": [1, 2, 3]}, "ok": True}),
    "numbers": "3.14159265358979 1234567890 0.000001 -42 1e-9 2,718,281,828",
    "url": "https://example.com/path/to/resource?query=a%20b&x=1#frag",
    "special_tokens": "<|endoftext|> <|im_start|>user<|im_end|> <|fim_prefix|>",
    "repeated": "a" * 1000,
    "long": LOREM * 200,
    "mixed": "Mix: ASCII, Ελληνικά, русский, 中文, 😀, tabs\tand\nnewlines.",
}

# texts each core model gets (the rest go to a rotating subset)
TEXTS_FOR_ALL = ["ascii", "empty", "emoji", "cjk", "code_python", "long", "whitespace_mix", "special_tokens"]

ALIAS_MODELS = [
    "openai/gpt-4o",
    "azure/gpt-4o",
    "gpt-35-turbo",
    "gpt-3.5-turbo-0301",
    "chatgpt-4o-latest",
    "gpt-4o-2024-08-06",
    "gpt-5",
    "o4-mini",
    "text-embedding-ada-002",
    "ft:gpt-4o-mini-2024-07-18:my-org:custom:abc123",
    "unknown-model-xyz",
    "",
]

# In LiteLLM's OpenAI list but unknown to tiktoken 0.12's encoding_for_model
# (-> KeyError -> cl100k_base), or caught by LiteLLM's "gpt-4o" substring rule.
TIKTOKEN_EDGE = ["gpt-5.1", "gpt-5.4", "gpt-5.4-mini", "gpt-realtime", "codex-mini-latest", "gpt-4o-realtime-preview", "gpt-4o-mini-search-preview", "o3-pro", "gpt-4-turbo"]

NON_OPENAI = ["claude-sonnet-4-5", "claude-3-haiku-20240307", "groq/llama-3.3-70b-versatile", "command-r"]


def png_data_url(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "Search the documentation",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "description": "max results"},
                "filters": {
                    "type": "object",
                    "properties": {
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "after": {"type": "number"},
                        "exact": {"type": "boolean"},
                        "level": {"type": "integer", "enum": [1, 2, 3]},
                    },
                },
                "anything": {},
                "nothing": {"type": "null"},
            },
            "required": ["query", "filters"],
        },
    },
}
NOARGS_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
BARE_TOOL = {"type": "function", "function": {"name": "ping"}}

TOOL_CALL_CONV = [
    {"role": "system", "content": "You are a weather bot."},
    {"role": "user", "content": "What's the weather in Paris and Tokyo?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Tokyo\", \"unit\": \"celsius\"}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 18, \"sky\": \"cloudy\"}"},
    {"role": "tool", "tool_call_id": "call_2", "content": "{\"temp\": 25, \"sky\": \"clear\"}"},
    {"role": "assistant", "content": "Paris: 18°C, cloudy. Tokyo: 25°C, clear."},
]

MESSAGE_SETS = {
    "user_only": [{"role": "user", "content": "Hello!"}],
    "system_user": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    "three_turns": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 10?"},
    ],
    "with_names": [
        {"role": "system", "name": "policy", "content": "Be kind."},
        {"role": "user", "name": "alice", "content": "Hi, I am Alice."},
        {"role": "assistant", "name": "helper_bot", "content": "Hi Alice!"},
    ],
    "developer_role": [
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "Good morning"},
    ],
    "empty_content": [{"role": "user", "content": ""}],
    "none_content": [{"role": "assistant", "content": None}, {"role": "user", "content": "hi"}],
    "multipart_text": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "First part."},
                {"type": "text", "text": "Second part with émojis 🎉."},
            ],
        }
    ],
    "multipart_system": [
        {"role": "system", "content": [{"type": "text", "text": "System as parts."}]},
        {"role": "user", "content": [{"type": "text", "text": "user part"}]},
    ],
    "unicode_chat": [
        {"role": "user", "content": TEXTS["cjk"]},
        {"role": "assistant", "content": TEXTS["japanese"]},
        {"role": "user", "content": TEXTS["emoji"]},
    ],
    "code_chat": [
        {"role": "user", "content": "Fix this:\n" + TEXTS["code_python"]},
        {"role": "assistant", "content": "```rust\n" + TEXTS["code_rust"] + "```"},
    ],
    "long_chat": [{"role": "user", "content": LOREM * 50}, {"role": "assistant", "content": LOREM * 20}],
    "tool_calls": TOOL_CALL_CONV,
    "tool_calls_no_system": TOOL_CALL_CONV[1:],
    "tool_call_with_content": [
        {"role": "user", "content": "ping"},
        {
            "role": "assistant",
            "content": "Calling ping now.",
            "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "ping", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_9", "name": "ping", "content": "pong"},
    ],
    "function_call_legacy": [
        {"role": "user", "content": "time?"},
        {"role": "assistant", "content": None, "function_call": {"name": "get_time", "arguments": "{}"}},
        {"role": "function", "name": "get_time", "content": "12:00"},
    ],
    "extra_keys": [{"role": "user", "content": "hi", "cache_control": {"type": "ephemeral"}, "refusal": None}],
    "empty_list": [],
}

IMAGE_SETS = {
    "image_low": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": png_data_url(64, 64), "detail": "low"}},
            ],
        }
    ],
    "image_auto_str": [
        {"role": "user", "content": [{"type": "image_url", "image_url": png_data_url(800, 600)}]}
    ],
    "image_high_wide": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe."},
                {"type": "image_url", "image_url": {"url": png_data_url(2048, 1024), "detail": "high"}},
            ],
        }
    ],
    "image_high_small": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": png_data_url(500, 300), "detail": "high"}}]}
    ],
}

ERROR_SETS = {
    "err_unknown_part": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}],
    "err_tool_call_without_function": [
        {"role": "assistant", "content": None, "tool_calls": [{"id": "x", "type": "custom", "custom": {"input": "hi"}}]}
    ],
    "err_bad_detail": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png_data_url(10, 10), "detail": "ultra"}}]}],
}


def build():
    cases = []

    def add(cid, model, tags, note="", **kw):
        case = {"id": cid, "model": model, "tags": tags}
        case.update(kw)
        if note:
            case["note"] = note
        cases.append(case)

    names = list(TEXTS)
    for mi, model in enumerate(CORE_MODELS):
        chosen = list(TEXTS_FOR_ALL)
        extra = [n for n in names if n not in TEXTS_FOR_ALL]
        # rotate the remaining texts over the models, 4 each
        for j in range(4):
            chosen.append(extra[(mi * 4 + j) % len(extra)])
        for name in chosen:
            add(f"text:{model}:{name}", model, ["text"], text=TEXTS[name])
    for model in ALIAS_MODELS:
        for name in ("ascii", "cjk", "emoji"):
            add(f"text:{model or '<empty>'}:{name}", model, ["text", "alias"], text=TEXTS[name])
    for model in TIKTOKEN_EDGE:
        for name in ("ascii", "emoji"):
            add(f"text:{model}:{name}", model, ["text", "tiktoken_edge"], text=TEXTS[name])
    for model in NON_OPENAI:
        add(f"text:{model}:mixed", model, ["text", "non_openai"], text=TEXTS["mixed"])

    msg_names = list(MESSAGE_SETS)
    for i, name in enumerate(msg_names):
        # every message set on two core models (rotating), the tool ones on more
        models = [CORE_MODELS[i % len(CORE_MODELS)], CORE_MODELS[(i + 3) % len(CORE_MODELS)]]
        if name.startswith("tool") or name in ("with_names", "system_user"):
            models += ["gpt-4o-mini", "gpt-3.5-turbo"]
        for model in dict.fromkeys(models):
            add(f"messages:{model}:{name}", model, ["messages"], messages=MESSAGE_SETS[name])
    for model in ("openai/gpt-4o", "azure/gpt-4o", "gpt-35-turbo", "gpt-3.5-turbo-0301"):
        add(f"messages:{model}:with_names", model, ["messages", "alias"], messages=MESSAGE_SETS["with_names"])
    for model in ("claude-sonnet-4-5",):
        add(f"messages:{model}:system_user", model, ["messages", "non_openai"], messages=MESSAGE_SETS["system_user"])

    for i, (name, msgs) in enumerate(IMAGE_SETS.items()):
        model = ("gpt-4o", "gpt-4.1", "gpt-4o-mini", "o1")[i % 4]
        add(f"image:{model}:{name}", model, ["messages", "image"], messages=msgs)

    tool_variants = {
        "weather": [WEATHER_TOOL],
        "weather_search": [WEATHER_TOOL, SEARCH_TOOL],
        "noargs": [NOARGS_TOOL],
        "bare": [BARE_TOOL],
        "all": [WEATHER_TOOL, SEARCH_TOOL, NOARGS_TOOL, BARE_TOOL],
    }
    for i, (tname, tools) in enumerate(tool_variants.items()):
        for mname in ("user_only", "system_user", "tool_calls"):
            model = CORE_MODELS[(i + len(mname)) % 7]  # skip the embedding model
            add(f"tools:{model}:{tname}:{mname}", model, ["messages", "tools"], messages=MESSAGE_SETS[mname], tools=tools)
    choices = {
        "none": "none",
        "auto": "auto",
        "required": "required",
        "named": {"type": "function", "function": {"name": "get_weather"}},
    }
    for i, (cname, choice) in enumerate(choices.items()):
        for mname in ("user_only", "system_user"):
            model = ("gpt-4o", "gpt-4", "o3-mini", "gpt-4.1")[i]
            add(
                f"tool_choice:{model}:{cname}:{mname}",
                model,
                ["messages", "tools", "tool_choice"],
                messages=MESSAGE_SETS[mname],
                tools=[WEATHER_TOOL],
                tool_choice=choice,
            )
    add("tool_choice:gpt-4o:none:no_tools", "gpt-4o", ["messages", "tool_choice"], messages=MESSAGE_SETS["user_only"], tool_choice="none")

    for name, msgs in ERROR_SETS.items():
        add(f"error:gpt-4o:{name}", "gpt-4o", ["messages", "error"], messages=msgs)
    add("error:gpt-4o:neither", "gpt-4o", ["error"], note="no text and no messages")
    return cases


def main(argv):
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if "--check" in argv:
        same = os.path.exists(OUT) and open(OUT, encoding="utf-8").read() == text
        if not same:
            print(f"stale: {OUT}", file=sys.stderr)
        return 0 if same else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{len(json.loads(text))} token cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
