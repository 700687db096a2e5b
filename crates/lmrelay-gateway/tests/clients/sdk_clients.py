"""Drive lmrelay's gateway with the official Python clients: openai, anthropic
and LiteLLM's own SDK (`litellm_proxy/` models). Run by
tests/python_clients.rs in the LiteLLM oracle venv (scripts/litellm-env.sh).

Usage: sdk_clients.py GATEWAY_URL MASTER_KEY VIRTUAL_KEY
Prints one JSON object: {check name: "ok" or the failure}.
"""

import json
import os
import sys
import traceback

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import anthropic  # noqa: E402
import openai  # noqa: E402

URL, MASTER, VIRTUAL = sys.argv[1], sys.argv[2], sys.argv[3]
RESULTS = {}


def check(name):
    def wrap(fn):
        try:
            fn()
            RESULTS[name] = "ok"
        except Exception:  # noqa: BLE001 - every failure is reported by name
            RESULTS[name] = traceback.format_exc(limit=3)
        return fn

    return wrap


HI = [{"role": "user", "content": "Hi"}]
oai = openai.OpenAI(base_url=URL + "/v1", api_key=MASTER, max_retries=0)


@check("openai.chat")
def _():
    r = oai.chat.completions.create(model="chat", messages=HI)
    assert r.choices[0].message.content == "Hello from the mock provider.", r
    assert r.usage.total_tokens == 14, r.usage


@check("openai.chat.with_raw_response.headers")
def _():
    raw = oai.chat.completions.with_raw_response.create(model="chat", messages=HI)
    assert raw.headers["x-litellm-attempted-retries"] == "0", dict(raw.headers)
    assert raw.headers["x-litellm-call-id"], dict(raw.headers)
    raw.parse()


@check("openai.chat.stream")
def _():
    text = ""
    usage = None
    for chunk in oai.chat.completions.create(
        model="chat", messages=HI, stream=True, stream_options={"include_usage": True}
    ):
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        if chunk.usage:
            usage = chunk.usage
    assert text == "Hello from the mock provider.", text
    assert usage is not None and usage.completion_tokens == 5, usage


@check("openai.embeddings")
def _():
    r = oai.embeddings.create(model="embed", input=["a", "b"])
    assert len(r.data) == 2 and len(r.data[0].embedding) > 0, r


@check("openai.completions")
def _():
    r = oai.completions.create(model="chat", prompt="Say hi")
    assert r.choices[0].text, r


@check("openai.models")
def _():
    ids = sorted(m.id for m in oai.models.list())
    assert "chat" in ids and "embed" in ids, ids
    assert oai.models.retrieve("chat").id == "chat"


ERRORS = {
    "err-400": openai.BadRequestError,
    "err-401": openai.AuthenticationError,
    "err-403": openai.PermissionDeniedError,
    "err-404": openai.NotFoundError,
    "err-422": openai.UnprocessableEntityError,
    "err-429": openai.RateLimitError,
    "err-500": openai.InternalServerError,
    "err-503": openai.InternalServerError,
    "err-context": openai.BadRequestError,
}

for model, cls in ERRORS.items():

    @check(f"openai.error.{model}->{cls.__name__}")
    def _(model=model, cls=cls):
        try:
            oai.chat.completions.create(model=model, messages=HI)
        except cls as err:
            body = err.body if isinstance(err.body, dict) else {}
            assert "message" in body, err.body
            return
        raise AssertionError("no error raised")


@check("openai.error.unknown_model->BadRequestError")
def _():
    try:
        oai.chat.completions.create(model="no-such-model", messages=HI)
    except openai.BadRequestError as err:
        assert "Invalid model name" in str(err), err
        return
    raise AssertionError("no error raised")


@check("openai.error.bad_key->AuthenticationError")
def _():
    bad = openai.OpenAI(base_url=URL + "/v1", api_key="sk-wrong-key-0000", max_retries=0)
    try:
        bad.chat.completions.create(model="chat", messages=HI)
    except openai.AuthenticationError:
        return
    raise AssertionError("no error raised")


@check("openai.virtual_key.rate_limit->RateLimitError")
def _():
    client = openai.OpenAI(base_url=URL + "/v1", api_key=VIRTUAL, max_retries=0)
    client.chat.completions.create(model="chat", messages=HI)
    try:
        client.chat.completions.create(model="chat", messages=HI)
    except openai.RateLimitError as err:
        assert err.response.headers.get("retry-after"), dict(err.response.headers)
        return
    raise AssertionError("the second request within the minute was not limited")


ant = anthropic.Anthropic(base_url=URL, api_key=MASTER, max_retries=0)


@check("anthropic.messages")
def _():
    r = ant.messages.create(model="chat", max_tokens=16, messages=HI)
    assert r.content[0].text == "Hello from the mock provider.", r
    assert r.stop_reason == "end_turn", r
    assert r.usage.output_tokens == 5, r.usage


@check("anthropic.messages.stream")
def _():
    with ant.messages.stream(model="chat", max_tokens=16, messages=HI) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the mock provider.", text
    assert final.stop_reason == "end_turn", final


@check("anthropic.error.err-429->RateLimitError")
def _():
    try:
        ant.messages.create(model="err-429", max_tokens=16, messages=HI)
    except anthropic.RateLimitError:
        return
    raise AssertionError("no error raised")


@check("anthropic.error.bad_key->AuthenticationError")
def _():
    bad = anthropic.Anthropic(base_url=URL, api_key="sk-wrong-key-0000", max_retries=0)
    try:
        bad.messages.create(model="chat", max_tokens=16, messages=HI)
    except anthropic.AuthenticationError:
        return
    raise AssertionError("no error raised")


import litellm  # noqa: E402  (imported last: it is slow to import)

PROXY = {"api_base": URL, "api_key": MASTER}


@check("litellm.completion.litellm_proxy")
def _():
    r = litellm.completion(model="litellm_proxy/chat", messages=HI, **PROXY)
    assert r.choices[0].message.content == "Hello from the mock provider.", r


@check("litellm.completion.litellm_proxy.stream")
def _():
    chunks = litellm.completion(model="litellm_proxy/chat", messages=HI, stream=True, **PROXY)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the mock provider.", text


@check("litellm.embedding.litellm_proxy")
def _():
    r = litellm.embedding(model="litellm_proxy/embed", input=["a"], **PROXY)
    assert len(r.data) == 1, r


@check("litellm.error.err-429->RateLimitError")
def _():
    try:
        litellm.completion(model="litellm_proxy/err-429", messages=HI, num_retries=0, **PROXY)
    except litellm.RateLimitError:
        return
    raise AssertionError("no error raised")


@check("litellm.error.err-context->ContextWindowExceededError")
def _():
    try:
        litellm.completion(model="litellm_proxy/err-context", messages=HI, num_retries=0, **PROXY)
    except litellm.ContextWindowExceededError:
        return
    raise AssertionError("no error raised")


print(json.dumps(RESULTS))
