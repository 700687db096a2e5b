#!/usr/bin/env python3
"""Writes tests/differential/bedrock_scenarios.json: bedrock/ Converse and
ConverseStream scenarios for provider_capture.py. Canned replies follow the
shapes in the public Bedrock Runtime API reference (Converse,
ConverseStream, common errors with the x-amzn-ErrorType header); stream
replies are real AWS event-stream bodies built by `frame()` below (prelude
with total and headers length and a CRC32 of the prelude, typed headers,
JSON payload, CRC32 of the whole message), sent base64-encoded with content
type application/vnd.amazon.eventstream.

LiteLLM signs Bedrock requests with botocore and reads credentials through
boto3, neither of which is a litellm dependency: run the capture with them
importable. The recorded output used the releases current on 1.82.6's
release day (boto3/botocore 1.42.73, s3transfer 0.16.0, jmespath 1.1.0,
python-dateutil 2.9.0.post0, six 1.17.0), installed beside the venv with a
pip new enough for --uploaded-prior-to (pip >= 26):

    D=~/.cache/lmrelay/bedrock-deps-1.82.6
    python3 -m venv /tmp/pipnew && /tmp/pipnew/bin/pip install -U pip
    /tmp/pipnew/bin/pip install --target "$D" --python-version 3.11 \
        --only-binary=:all: --uploaded-prior-to 2026-03-22T06:35:00Z --no-deps \
        boto3 botocore s3transfer jmespath python-dateutil six
    python3 tests/differential/make_bedrock_scenarios.py
    PY="$(scripts/litellm-env.sh | tail -n1)"
    PYTHONPATH="$D" "$PY" tests/differential/provider_capture.py \
        < tests/differential/bedrock_scenarios.json

Credentials are fake (AWS's documentation example key pair).
"""
import base64
import binascii
import copy
import json
import os
import struct

MODEL = "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
CONVERSE_MODEL = "bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0"
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENV = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION_NAME": "us-east-1",
       "AWS_EC2_METADATA_DISABLED": "true"}
REQ_ID = "f1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
FROZEN = "2026-03-22T06:35:00Z"

# --------------------------------------------------------------------------
# AWS event-stream encoding (application/vnd.amazon.eventstream)
# --------------------------------------------------------------------------
#   prelude: total_length u32 BE | headers_length u32 BE | prelude_crc u32 BE
#            (CRC32/IEEE of the first 8 bytes)
#   headers: repeated  name_len u8 | name | type u8 | value
#            (type 7 = string: len u16 BE | utf-8 bytes)
#   payload: bytes (here JSON)
#   message_crc u32 BE: CRC32 of everything before it (prelude included)
#   total_length = 12 + headers_length + len(payload) + 4


def encode_headers(headers):
    out = b""
    for name, value in headers.items():
        n = name.encode()
        v = value.encode()
        out += struct.pack(">B", len(n)) + n + struct.pack(">BH", 7, len(v)) + v
    return out


def frame(headers, payload: bytes) -> bytes:
    hb = encode_headers(headers)
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    msg = prelude + hb + payload
    return msg + struct.pack(">I", binascii.crc32(msg) & 0xFFFFFFFF)


PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def event(event_type, payload, pad=None):
    if pad is not None:
        payload = dict(payload, p=PAD[:pad])
    return frame({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                 json.dumps(payload, separators=(",", ":")).encode())


def exception(exc_type, message):
    return frame({":exception-type": exc_type, ":content-type": "application/json", ":message-type": "exception"},
                 json.dumps({"message": message}, separators=(",", ":")).encode())


def stream_reply(frames, split=None):
    body = b"".join(frames)
    return {"status": 200,
            "headers": {"x-amzn-RequestId": REQ_ID},
            "content_type": "application/vnd.amazon.eventstream",
            "body_base64": base64.b64encode(body).decode()}


def text_stream_frames(parts, stop="end_turn", usage=None, pad=None, metrics=True):
    fr = [event("messageStart", {"role": "assistant"}, pad)]
    for p in parts:
        fr.append(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}}, pad))
    fr.append(event("contentBlockStop", {"contentBlockIndex": 0}, pad))
    fr.append(event("messageStop", {"stopReason": stop}, pad))
    meta = {"usage": usage or {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14}}
    if metrics:
        meta["metrics"] = {"latencyMs": 312}
    fr.append(event("metadata", meta, pad))
    return fr


# --------------------------------------------------------------------------
# JSON replies
# --------------------------------------------------------------------------

def usage(i=12, o=6, cr=None, cw=None):
    u = {"inputTokens": i, "outputTokens": o, "totalTokens": i + o + (cr or 0) + (cw or 0)}
    if cr is not None:
        u["cacheReadInputTokens"] = cr
    if cw is not None:
        u["cacheWriteInputTokens"] = cw
    return u


def converse(content, stop="end_turn", u=None, extra=None):
    body = {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop, "usage": u or usage(), "metrics": {"latencyMs": 420}}
    body.update(extra or {})
    return {"status": 200, "headers": {"x-amzn-RequestId": REQ_ID}, "json": body}


def text(t):
    return {"text": t}


def tool_use(tid, name, inp):
    return {"toolUse": {"toolUseId": tid, "name": name, "input": inp}}


def aws_error(status, etype, message):
    return {"status": status,
            "headers": {"x-amzn-RequestId": REQ_ID,
                        "x-amzn-ErrorType": f"{etype}:http://internal.amazon.com/coral/com.amazon.bedrock/"},
            "json": {"message": message}}


# --------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------
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


def req(messages=None, **kw):
    r = {"messages": copy.deepcopy(messages or HI)}
    r.update(kw)
    return r


S = []


def add(name, request, reply, model=MODEL, env=None, note=None, **extra):
    sc = {"name": name, "model": model, "request": request, "reply": reply,
          "api_key": None, "env": dict(ENV) if env is None else env}
    sc.update(extra)
    if name.startswith("error_") or name.startswith("stream_error"):
        sc["error_details"] = True
    if note:
        sc["note"] = note
    S.append(sc)


add("plain", req(), converse([text("Hello! How can I help you today?")], u=usage(9, 12)),
    note="POST {api_base}/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse, SigV4 (service bedrock)")

add("plain_default_url_frozen_signature", req(), converse([text("Hello!")]), api_base=None, freeze_time=FROZEN,
    note="no api_base: https://bedrock-runtime.us-east-1.amazonaws.com; x-amz-date and signature deterministic")

add("system_multi_turn_inference_config",
    req([{"role": "system", "content": "You are a terse assistant."},
         {"role": "user", "content": "Name a colour."},
         {"role": "assistant", "content": "Blue."},
         {"role": "user", "content": "Another one."}],
        max_tokens=50, temperature=0.2, top_p=0.9, stop=["\n\nHuman:"]),
    converse([text("Green.")], u=usage(30, 3)))

add("top_k_additional_fields", req(top_k=5, max_completion_tokens=20, stop="END"),
    converse([text("Hi")], u=usage(9, 2)),
    note="top_k -> additionalModelRequestFields.top_k (anthropic); string stop -> [stop]")

add("tools_tool_choice",
    req(WEATHER_Q, tools=[WEATHER_TOOL, TIME_TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}}),
    converse([tool_use("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_weather", {"location": "Boston, MA"})],
             stop="tool_use", u=usage(380, 52)))

add("tools_auto_text_and_two_calls",
    req([{"role": "user", "content": "Weather in Boston and time in Tokyo?"}], tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice="auto"),
    converse([text("I'll look both up."),
              tool_use("tooluse_a1", "get_weather", {"location": "Boston, MA", "unit": "celsius"}),
              tool_use("tooluse_b2", "get_time", {"timezone": "Asia/Tokyo"})], stop="tool_use", u=usage(400, 90)))

add("tool_choice_required", req(WEATHER_Q, tools=[WEATHER_TOOL], tool_choice="required"),
    converse([tool_use("tooluse_r1", "get_weather", {"location": "Boston"})], stop="tool_use"))

add("tool_result_round_trip",
    req([{"role": "user", "content": "What's the weather in Boston?"},
         {"role": "assistant", "content": "Let me check.",
          "tool_calls": [{"id": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "type": "function",
                          "function": {"name": "get_weather", "arguments": "{\"location\": \"Boston, MA\"}"}}]},
         {"role": "tool", "tool_call_id": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "content": "{\"temp_f\": 41, \"sky\": \"cloudy\"}"}],
        tools=[WEATHER_TOOL]),
    converse([text("It is 41°F and cloudy in Boston.")], u=usage(450, 14)))

add("response_format_json_schema",
    req([{"role": "user", "content": "Biggest city in Japan?"}],
        response_format={"type": "json_schema", "json_schema": {"name": "city_info", "schema": {
            "type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
            "required": ["city", "population"]}}}),
    converse([tool_use("tooluse_json1", "json_tool_call", {"city": "Tokyo", "population": 13960000})],
             stop="tool_use", u=usage(420, 40)),
    note="claude-3-5 has no native structured output: forced tool json_tool_call, answer mapped back to content")

add("image_and_text_content",
    req([{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}]}]),
    converse([text("A single pixel.")], u=usage(20, 5)))

add("cache_usage_and_max_tokens_stop",
    req([{"role": "system", "content": [{"type": "text", "text": "Long policy text ...", "cache_control": {"type": "ephemeral"}}]},
         {"role": "user", "content": "Summarise."}], max_tokens=5),
    converse([text("The policy says")], stop="max_tokens", u=usage(20, 5, cr=1500, cw=300)),
    note="cache_control -> cachePoint; cacheRead/WriteInputTokens are added to prompt_tokens; max_tokens -> length")

add("guardrail_intervened",
    req(), converse([text("Sorry, the model cannot answer this question.")], stop="guardrail_intervened", u=usage(9, 10)),
    note="guardrail_intervened -> finish_reason content_filter")

add("converse_route_prefix", req(), converse([text("Hi from converse/")]), model=CONVERSE_MODEL,
    note="bedrock/converse/<id>: same endpoint, prefix stripped")

add("cross_region_inference_profile", req(), converse([text("Hi")]),
    model="bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0")

add("arn_model_region_from_arn", req(), converse([text("Hi")]), api_base=None,
    model="bedrock/converse/arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
    note="region taken from the ARN; whole ARN percent-encoded (':' and '/') in the path")

add("region_from_aws_region", req(), converse([text("Hi")]), api_base=None,
    env={"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "eu-central-1",
         "AWS_EC2_METADATA_DISABLED": "true"},
    note="AWS_REGION used when AWS_REGION_NAME is unset")

add("region_default_us_west_2", req(), converse([text("Hi")]), api_base=None,
    env={"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_EC2_METADATA_DISABLED": "true"},
    note="no region anywhere: boto3 session region, else us-west-2")

add("explicit_kwargs_credentials_region",
    req(aws_access_key_id="AKIAEXPLICITKEY00001", aws_secret_access_key="explicit/secret/key",
        aws_region_name="ap-southeast-2"),
    converse([text("Hi")]), api_base=None, env={"AWS_EC2_METADATA_DISABLED": "true"})

add("session_token", req(), converse([text("Hi")]), api_base=None, freeze_time=FROZEN,
    env=dict(ENV, AWS_SESSION_TOKEN="FwoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDA=="),
    note="temporary credentials: X-Amz-Security-Token header, signed")

add("runtime_endpoint_kwarg", req(aws_bedrock_runtime_endpoint="{{CAPTURE}}/custom-prefix"), converse([text("Hi")]),
    api_base=None, note="aws_bedrock_runtime_endpoint replaces scheme://host (and prefix)")

add("runtime_endpoint_env", req(), converse([text("Hi")]), api_base=None,
    env=dict(ENV, AWS_BEDROCK_RUNTIME_ENDPOINT="{{CAPTURE}}"))

add("bearer_api_key_env", req(), converse([text("Hi")]),
    env={"AWS_BEARER_TOKEN_BEDROCK": "bedrock-api-key-EXAMPLE", "AWS_REGION_NAME": "us-east-1"},
    note="Bedrock API key: Authorization: Bearer, no SigV4")

add("bearer_api_key_param", req(), converse([text("Hi")]), api_key="bedrock-api-key-PARAM",
    note="api_key= is used as a Bedrock API key (Bearer)")

add("profile_file", req(aws_profile_name="lmrelay-test"), converse([text("Hi")]), api_base=None, freeze_time=FROZEN,
    env={"AWS_SHARED_CREDENTIALS_FILE": "{{FILES}}/credentials", "AWS_CONFIG_FILE": "{{FILES}}/config",
         "AWS_REGION_NAME": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"},
    files={"credentials": "[lmrelay-test]\naws_access_key_id = AKIAPROFILEEXAMPLE01\n"
                          "aws_secret_access_key = profile/secret/EXAMPLEKEY\n",
           "config": "[profile lmrelay-test]\nregion = eu-west-3\n"},
    note="aws_profile_name reads the shared credentials file (region still from AWS_REGION_NAME)")

add("no_credentials", req(), converse([text("unused")]), api_base=None,
    env={"AWS_REGION_NAME": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
         "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "AWS_CONFIG_FILE": "/nonexistent/config"},
    note="no credentials anywhere")

add("async_plain", req(), converse([text("Hello from async.")]), **{"async": True})

# ---- streams ---------------------------------------------------------------
add("stream_text", req(stream=True), stream_reply(text_stream_frames(["Hel", "lo", "!"])),
    note="POST .../converse-stream; event-stream frames")

add("stream_include_usage_padded", req(stream=True, stream_options={"include_usage": True}),
    stream_reply(text_stream_frames(["Hi", " there"], usage=usage(10, 3), pad=17)),
    note="payloads carry Bedrock's 'p' padding field")

add("stream_metadata_without_metrics", req(stream=True, stream_options={"include_usage": True}),
    stream_reply(text_stream_frames(["Hi"], usage=usage(10, 1), metrics=False)),
    note="LiteLLM only routes payloads with contentBlockIndex/stopReason/metrics/trace to the converse parser")

add("stream_tool_call", req(WEATHER_Q, tools=[WEATHER_TOOL], stream=True),
    stream_reply([
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Checking."}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
            "toolUseId": "tooluse_s1", "name": "get_weather"}}}),
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"location\":"}}}),
        event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": " \"Boston\"}"}}}),
        event("contentBlockStop", {"contentBlockIndex": 1}),
        event("messageStop", {"stopReason": "tool_use"}),
        event("metadata", {"usage": usage(380, 40), "metrics": {"latencyMs": 900}})]))

add("stream_tool_call_empty_args", req(WEATHER_Q, tools=[TIME_TOOL], stream=True),
    stream_reply([
        event("messageStart", {"role": "assistant"}),
        event("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {
            "toolUseId": "tooluse_e1", "name": "get_time"}}}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": ""}}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "tool_use"}),
        event("metadata", {"usage": usage(100, 10), "metrics": {"latencyMs": 300}})]),
    note="empty tool input: LiteLLM emits '{}' at contentBlockStop")

add("stream_converse_route", req(stream=True), stream_reply(text_stream_frames(["OK"])), model=CONVERSE_MODEL)

add("async_stream", req(stream=True, stream_options={"include_usage": True}),
    stream_reply(text_stream_frames(["A", "sync"], usage=usage(10, 2))), **{"async": True})

add("stream_error_exception_frame", req(stream=True),
    stream_reply([event("messageStart", {"role": "assistant"}),
                  event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Par"}}),
                  exception("throttlingException", "Too many tokens, please wait before trying again.")]),
    note="exception frame mid-stream (:message-type exception, :exception-type throttlingException)")

add("stream_error_http_429", req(stream=True),
    aws_error(429, "ThrottlingException", "Too many requests, please wait before trying again."),
    note="non-200 before the stream starts")

# ---- errors ----------------------------------------------------------------
add("error_400_validation", req(),
    aws_error(400, "ValidationException", "A conversation must alternate between user and assistant roles. "
                                          "Make sure the conversation alternates between user and assistant roles and try again."))
add("error_400_context_window", req(),
    aws_error(400, "ValidationException", "Input is too long for requested model."))
add("error_403_access_denied", req(),
    aws_error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID."))
add("error_403_bad_token", req(),
    aws_error(403, "UnrecognizedClientException", "The security token included in the request is invalid."))
add("error_404_resource_not_found", req(),
    aws_error(404, "ResourceNotFoundException", "Model not found."))
add("error_408_model_timeout", req(),
    aws_error(408, "ModelTimeoutException", "Model has timed out in processing the request. Try your request again."))
add("error_424_model_error", req(),
    aws_error(424, "ModelErrorException", "Received an error from the model."))
add("error_429_throttling", req(),
    aws_error(429, "ThrottlingException", "Too many requests, please wait before trying again."))
add("error_500_internal", req(),
    aws_error(500, "InternalServerException", "The server encountered an internal error while processing the request."))
add("error_503_service_unavailable", req(),
    aws_error(503, "ServiceUnavailableException", "Bedrock is unable to process your request."))

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bedrock_scenarios.json")
    with open(out, "w") as f:
        json.dump(S, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(S)} scenarios -> {out}")
