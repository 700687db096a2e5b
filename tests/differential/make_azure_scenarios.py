#!/usr/bin/env python3
"""Writes tests/differential/azure_scenarios.json: azure/<deployment> chat
completions for provider_capture.py. Canned replies follow the shapes in
Azure OpenAI's public REST reference (data plane 2024-10-21): the chat
completion object with prompt_filter_results and per-choice
content_filter_results, stream chunks (a first chunk with empty choices and
prompt_filter_results), and the error envelope {"error": {"code", "message",
...}} including the content-filter 400 with innererror.

    python3 tests/differential/make_azure_scenarios.py
    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/provider_capture.py \
        < tests/differential/azure_scenarios.json > /tmp/azure-out.json
"""
import copy
import json
import os

MODEL = "azure/my-gpt4o-deployment"
V = "2024-10-21"
UPSTREAM_MODEL = "gpt-4o-2024-08-06"
FP = "fp_b705f0c291"
CREATED = 1730000000

SAFE = {"filtered": False, "severity": "safe"}
CFR = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
PROMPT_CFR = {"hate": SAFE, "jailbreak": {"filtered": False, "detected": False},
              "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}
PROMPT_FILTER = [{"prompt_index": 0, "content_filter_results": PROMPT_CFR}]

RESP_HEADERS = {"apim-request-id": "7c3f3b8e-0d3a-4c55-9b1a-5f8f1d1e2a3b",
                "x-ms-region": "East US",
                "x-ratelimit-remaining-requests": "99",
                "x-ratelimit-remaining-tokens": "99980",
                "x-request-id": "0f3c2a1b-aaaa-bbbb-cccc-1234567890ab"}


def usage(p=12, c=6, cached=0):
    return {"completion_tokens": c, "prompt_tokens": p, "total_tokens": p + c,
            "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0,
                                          "reasoning_tokens": 0, "rejected_prediction_tokens": 0},
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": cached}}


def completion(message, finish="stop", u=None, cfr=CFR, cid="chatcmpl-AZ1f00000000000000000000001"):
    msg = {"role": "assistant", "content": None, "refusal": None}
    msg.update(message)
    choice = {"index": 0, "finish_reason": finish, "logprobs": None, "message": msg}
    if cfr is not None:
        choice["content_filter_results"] = cfr
    return {"status": 200, "headers": RESP_HEADERS,
            "json": {"id": cid, "object": "chat.completion", "created": CREATED,
                     "model": UPSTREAM_MODEL, "system_fingerprint": FP,
                     "choices": [choice], "usage": u or usage(),
                     "prompt_filter_results": PROMPT_FILTER}}


def text_reply(t, **kw):
    return completion({"content": t}, **kw)


def tool_call(cid, name, args):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def error(status, body, headers=None):
    h = {"apim-request-id": "7c3f3b8e-0d3a-4c55-9b1a-5f8f1d1e2a3b", "x-ms-region": "East US"}
    h.update(headers or {})
    return {"status": status, "headers": h, "json": body}


# ---- stream chunks -------------------------------------------------------
SID = "chatcmpl-AZ1fStream00000000000000001"


def prompt_chunk():
    return {"choices": [], "created": 0, "id": "", "model": "", "object": "",
            "prompt_filter_results": PROMPT_FILTER}


def chunk(delta, finish=None, cfr=None, usage_=None, choices=True):
    c = {"id": SID, "object": "chat.completion.chunk", "created": CREATED,
         "model": UPSTREAM_MODEL, "system_fingerprint": FP}
    if choices:
        ch = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        ch["content_filter_results"] = cfr if cfr is not None else {}
        c["choices"] = [ch]
    else:
        c["choices"] = []
    if usage_ is not None:
        c["usage"] = usage_
    return c


def text_stream(parts, finish="stop", with_usage=None):
    items = [prompt_chunk(), chunk({"content": "", "role": "assistant", "refusal": None})]
    for p in parts:
        items.append(chunk({"content": p}, cfr=CFR))
    items.append(chunk({}, finish=finish))
    if with_usage is not None:
        items.append(chunk(None, choices=False, usage_=with_usage))
    items.append("[DONE]")
    return {"status": 200, "headers": RESP_HEADERS, "sse": items}


# ---- requests -------------------------------------------------------------
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "City and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}}

HI = [{"role": "user", "content": "Hello"}]
WEATHER_Q = [{"role": "user", "content": "What's the weather in Boston?"}]
SCHEMA_RF = {"type": "json_schema", "json_schema": {
    "name": "city_info", "strict": True,
    "schema": {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
               "required": ["city", "population"], "additionalProperties": False}}}


def req(messages=None, **kw):
    r = {"messages": copy.deepcopy(messages or HI), "api_version": V}
    r.update(kw)
    return r


S = []


def add(name, request, reply, note=None, **extra):
    sc = {"name": name, "model": extra.pop("model", MODEL), "request": request, "reply": reply}
    sc.update(extra)
    if name.startswith("error_") or name.startswith("entra_token_env"):
        sc["error_details"] = True
    if note:
        sc["note"] = note
    S.append(sc)


add("plain", req(), text_reply("Hello! How can I help you today?", u=usage(9, 9)),
    note="URL {base}/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21, api-key header")

add("system_multi_turn",
    req([{"role": "system", "content": "You are a terse assistant."},
         {"role": "user", "content": "Name a colour."},
         {"role": "assistant", "content": "Blue."},
         {"role": "user", "content": "Another one."}],
        temperature=0.2, top_p=0.9, max_tokens=50, stop=["\n\n"], seed=7, user="user-123",
        presence_penalty=0.1, frequency_penalty=0.2),
    text_reply("Green.", u=usage(30, 2)))

add("max_completion_tokens_n_logprobs",
    req(max_completion_tokens=64, n=2, logprobs=True, top_logprobs=2, logit_bias={"1734": -100}),
    {"status": 200, "headers": RESP_HEADERS, "json": {
        "id": "chatcmpl-AZ1f00000000000000000000002", "object": "chat.completion", "created": CREATED,
        "model": UPSTREAM_MODEL, "system_fingerprint": FP, "prompt_filter_results": PROMPT_FILTER,
        "usage": usage(9, 4),
        "choices": [
            {"index": 0, "finish_reason": "stop", "content_filter_results": CFR,
             "message": {"role": "assistant", "content": "Hi", "refusal": None},
             "logprobs": {"content": [{"token": "Hi", "logprob": -0.01, "bytes": [72, 105],
                                       "top_logprobs": [{"token": "Hi", "logprob": -0.01, "bytes": [72, 105]},
                                                        {"token": "Hello", "logprob": -4.7, "bytes": [72, 101, 108, 108, 111]}]}],
                          "refusal": None}},
            {"index": 1, "finish_reason": "stop", "content_filter_results": CFR,
             "message": {"role": "assistant", "content": "Hello", "refusal": None},
             "logprobs": {"content": [{"token": "Hello", "logprob": -0.02, "bytes": [72, 101, 108, 108, 111],
                                       "top_logprobs": [{"token": "Hello", "logprob": -0.02, "bytes": [72, 101, 108, 108, 111]},
                                                        {"token": "Hi", "logprob": -3.9, "bytes": [72, 105]}]}],
                          "refusal": None}}]}})

add("tools_tool_choice",
    req(WEATHER_Q, tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False),
    completion({"tool_calls": [tool_call("call_abc123", "get_weather", {"location": "Boston, MA"})]},
               finish="stop", u=usage(80, 17)),
    note="Azure reports finish_reason 'stop' when tool_choice names a function")

add("tools_auto_parallel",
    req([{"role": "user", "content": "Weather in Boston and time in Tokyo?"}], tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice="auto"),
    completion({"tool_calls": [tool_call("call_w1", "get_weather", {"location": "Boston, MA", "unit": "celsius"}),
                               tool_call("call_t1", "get_time", {"timezone": "Asia/Tokyo"})]},
               finish="tool_calls", u=usage(90, 40)))

add("tool_choice_required", req(WEATHER_Q, tools=[WEATHER_TOOL], tool_choice="required"),
    completion({"tool_calls": [tool_call("call_req1", "get_weather", {"location": "Boston"})]},
               finish="stop", u=usage(70, 12)))

add("tool_result_round_trip",
    req([{"role": "user", "content": "What's the weather in Boston?"},
         {"role": "assistant", "content": None,
          "tool_calls": [tool_call("call_abc123", "get_weather", {"location": "Boston, MA"})]},
         {"role": "tool", "tool_call_id": "call_abc123", "content": "{\"temp_f\": 41, \"sky\": \"cloudy\"}"}],
        tools=[WEATHER_TOOL]),
    text_reply("It is 41°F and cloudy in Boston.", u=usage(110, 12)))

add("response_format_json_schema", req([{"role": "user", "content": "Biggest city in Japan?"}],
                                       response_format=SCHEMA_RF),
    text_reply("{\"city\":\"Tokyo\",\"population\":13960000}", u=usage(60, 12)))

add("response_format_json_object",
    req([{"role": "system", "content": "Reply in JSON."}, {"role": "user", "content": "Give me a colour."}],
        response_format={"type": "json_object"}),
    text_reply("{\"colour\": \"blue\"}", u=usage(20, 7)))

add("response_format_json_schema_old_api_version",
    req([{"role": "user", "content": "Biggest city in Japan?"}], response_format=SCHEMA_RF, api_version="2024-06-01"),
    completion({"tool_calls": [tool_call("call_json1", "json_tool_call", {"city": "Tokyo", "population": 13960000})]},
               finish="stop", u=usage(70, 15)),
    note="api-version before 2024-08: LiteLLM turns json_schema into a forced tool 'json_tool_call' and maps the call back to content")

add("stream_text", req(stream=True), text_stream(["Hel", "lo", "!"]))

add("stream_include_usage", req(stream=True, stream_options={"include_usage": True}),
    text_stream(["Hi", " there"], with_usage=usage(9, 3)))

add("stream_tool_call", req(WEATHER_Q, tools=[WEATHER_TOOL], stream=True),
    {"status": 200, "headers": RESP_HEADERS, "sse": [
        prompt_chunk(),
        chunk({"content": None, "role": "assistant", "refusal": None,
               "tool_calls": [{"index": 0, "id": "call_s1", "type": "function",
                               "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"loc"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "ation\": \"Boston\"}"}}]}),
        chunk({}, finish="tool_calls"),
        "[DONE]"]})

add("stream_content_filter", req(stream=True),
    {"status": 200, "headers": RESP_HEADERS, "sse": [
        prompt_chunk(),
        chunk({"content": "", "role": "assistant", "refusal": None}),
        chunk({"content": "Some"}, cfr=CFR),
        chunk({}, finish="content_filter",
              cfr={"hate": SAFE, "self_harm": SAFE, "sexual": SAFE,
                   "violence": {"filtered": True, "severity": "medium"}}),
        "[DONE]"]})

add("async_plain", req(), text_reply("Hello from async.", u=usage(9, 4)), **{"async": True})

add("async_stream", req(stream=True, stream_options={"include_usage": True}),
    text_stream(["A", "sync"], with_usage=usage(9, 2)), **{"async": True})

add("content_filter_finish_reason", req([{"role": "user", "content": "Describe the fight in detail."}]),
    completion({"content": None}, finish="content_filter", u=usage(15, 0),
               cfr={"hate": SAFE, "self_harm": SAFE, "sexual": SAFE,
                    "violence": {"filtered": True, "severity": "high"}}),
    note="200 whose choice was filtered on output: content null, finish_reason content_filter")

req_env = req()
del req_env["api_version"]
add("env", req_env, text_reply("Hello!"), env={"AZURE_API_VERSION": "2024-06-01"},
    note="api_version from AZURE_API_VERSION")

add("default_api_version", copy.deepcopy(req_env), text_reply("Hello!"),
    note="no api_version anywhere: litellm.AZURE_DEFAULT_API_VERSION")

add("env_base_and_key", req(), text_reply("Hello!"), api_base=None, api_key=None,
    env={"AZURE_API_BASE": "{{CAPTURE}}", "AZURE_API_KEY": "env-azure-key"},
    note="api_base from AZURE_API_BASE and key from AZURE_API_KEY")

add("env_openai_api_key_name", req(), text_reply("Hello!"), api_key=None,
    env={"AZURE_OPENAI_API_KEY": "env-azure-openai-key", "AZURE_API_KEY": "env-azure-key"},
    note="AZURE_OPENAI_API_KEY is read before AZURE_API_KEY")

add("entra_token", req(azure_ad_token="eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-entra-token.sig"),
    text_reply("Hello!"), api_key=None,
    note="azure_ad_token kwarg -> Authorization: Bearer, no api-key")

add("entra_token_cached_client_leak", req(), text_reply("Hello!"), api_key=None,
    env={"AZURE_AD_TOKEN": "env-entra-token"}, keep_clients=True,
    note="right after entra_token, keeping LiteLLM's client cache: the cached AzureOpenAI client "
         "(cache key ignores azure_ad_token) still sends the previous scenario's token")

add("entra_token_env", req(), text_reply("Hello!"), api_key=None,
    env={"AZURE_AD_TOKEN": "env-entra-token"}, note="AZURE_AD_TOKEN env")

add("entra_token_sdk_env", req(), text_reply("Hello!"), api_key=None,
    env={"AZURE_OPENAI_AD_TOKEN": "sdk-env-entra-token"},
    note="AZURE_OPENAI_AD_TOKEN is read by the openai SDK's AzureOpenAI client itself")

add("entra_token_and_api_key", req(azure_ad_token="both-token"), text_reply("Hello!"),
    note="both given: which header wins")

add("extra_headers", req(extra_headers={"x-ms-client-request-id": "abc-123", "X-Custom": "yes"}),
    text_reply("Hello!"))

add("api_version_v1", req(api_version="v1"), text_reply("Hello!"),
    note="api_version v1/latest/preview: plain OpenAI client at {base}/openai/v1/, deployment in body")

add("api_base_with_deployment_path", req(), text_reply("Hello!"),
    api_base="capture+/openai/deployments/other-deployment",
    note="api_base containing /openai/deployments is used as the SDK base_url")

add("api_base_trailing_slash", req(), text_reply("Hello!"), api_base="capture+/")

add("o_series_deployment",
    req([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}],
        max_tokens=100, temperature=1),
    completion({"content": "4"}, u={"completion_tokens": 70, "prompt_tokens": 15, "total_tokens": 85,
                                    "completion_tokens_details": {"reasoning_tokens": 64},
                                    "prompt_tokens_details": {"cached_tokens": 0}}),
    model="azure/o3-mini", note="o-series deployment name: AzureOpenAIO1Config path")

add("tool_choice_required_old_api_version",
    req(WEATHER_Q, tools=[WEATHER_TOOL], tool_choice="required", api_version="2024-05-01-preview"),
    text_reply("unused"), note="refused before any request (UnsupportedParamsError)")

# ---- errors ---------------------------------------------------------------
add("error_400",
    req(temperature=3),
    error(400, {"error": {"message": "Invalid value for 'temperature': must be between 0 and 2.",
                          "type": "invalid_request_error", "param": "temperature", "code": "invalid_value"}}))

add("error_400_content_filter", req([{"role": "user", "content": "something hateful"}]),
    error(400, {"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                   "Please modify your prompt and retry. To learn more about our content filtering policies please "
                   "read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        "type": None, "param": "prompt", "code": "content_filter", "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
            "hate": {"filtered": True, "severity": "high"},
            "jailbreak": {"filtered": False, "detected": False},
            "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}}}}))

add("error_400_context_length", req(),
    error(400, {"error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                   "130532 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}))

add("error_401", req(),
    error(401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API "
                                                     "endpoint. Make sure to provide a valid key for an active "
                                                     "subscription and use a correct regional API endpoint for your resource."}}))

add("error_404_deployment_not_found", req(),
    error(404, {"error": {"code": "DeploymentNotFound",
                          "message": "The API deployment for this resource does not exist. If you created the "
                                     "deployment within the last 5 minutes, please wait a moment and try again."}}))

add("error_400_no_type", req(),
    error(400, {"error": {"code": "OperationNotSupported",
                          "message": "The chatCompletion operation does not work with the specified model, "
                                     "text-embedding-3-small. Please choose different model and try again."}}),
    note="400 without invalid_request_error in the body: 'AzureException - ' prefix")

add("error_404_resource_not_found", req(),
    error(404, {"error": {"code": "404", "message": "Resource not found"}}),
    note="404 that is not DeploymentNotFound")

RATE = {"error": {"code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API "
                                           "version 2024-10-21 have exceeded token rate limit of your current OpenAI "
                                           "S0 pricing tier. Please retry after 1 second. Please go here: "
                                           "https://aka.ms/oai/quotaincrease if you would like to further increase "
                                           "the default rate limit."}}
add("error_429_retry_after", req(),
    error(429, RATE, {"retry-after": "1", "retry-after-ms": "50", "x-ratelimit-remaining-requests": "0",
                      "x-ratelimit-remaining-tokens": "0"}),
    note="the openai SDK retries 429 (max_retries 2): 3 requests")

add("error_429_then_ok", req(),
    [error(429, RATE, {"retry-after": "1", "retry-after-ms": "50"}), text_reply("Hello after retry!")])

add("error_500", req(),
    error(500, {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                          "type": "server_error", "param": None, "code": None}}))

add("error_503", req(),
    error(503, {"error": {"code": "ServiceUnavailable",
                          "message": "The service is temporarily unable to process your request. Please try again later."}},
          {"retry-after": "0"}))

add("error_429_stream", req(stream=True), error(429, RATE, {"retry-after-ms": "50"}))

add("error_400_content_filter_max_retries_0", req(max_retries=0),
    error(400, {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                                     "management policy.", "type": None, "param": "prompt", "code": "content_filter",
                          "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation",
                                                        "content_filter_result": {"hate": SAFE, "self_harm": SAFE,
                                                                                  "sexual": {"filtered": True, "severity": "medium"},
                                                                                  "violence": SAFE}}}}))

add("error_500_max_retries_0", req(max_retries=0),
    error(500, {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                          "type": "server_error", "param": None, "code": None}}),
    note="max_retries=0 kwarg: single request")

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "azure_scenarios.json")
    with open(out, "w") as f:
        json.dump(S, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(S)} scenarios -> {out}")
