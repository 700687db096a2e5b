#!/usr/bin/env python3
"""Writes tests/differential/anthropic_scenarios.json (canned replies follow
the shapes in Anthropic's public Messages API reference)."""
import json, sys

MODEL_ID = "claude-sonnet-4-5-20250929"
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

def usage(i=12, o=6, cw=0, cr=0):
    return {"input_tokens": i, "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr,
            "cache_creation": {"ephemeral_5m_input_tokens": cw, "ephemeral_1h_input_tokens": 0},
            "output_tokens": o, "service_tier": "standard"}

def msg(content, stop="end_turn", stop_seq=None, u=None, model=MODEL_ID, mid="msg_01XFDUDYJgAACzvnptvVoYEL"):
    return {"status": 200, "headers": {"request-id": "req_011CSHoEeqs5C35K2UUqR7Fy",
                                         "anthropic-ratelimit-requests-limit": "4000",
                                         "anthropic-ratelimit-requests-remaining": "3999",
                                         "anthropic-ratelimit-tokens-limit": "400000",
                                         "anthropic-ratelimit-tokens-remaining": "399980"},
            "body": {"id": mid, "type": "message", "role": "assistant", "model": model,
                     "content": content, "stop_reason": stop, "stop_sequence": stop_seq,
                     "usage": u or usage()}}

def text(t): return {"type": "text", "text": t}

def err(status, etype, message, headers=None):
    return {"status": status, "headers": headers or {},
            "body": {"type": "error", "error": {"type": etype, "message": message},
                     "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}}

def ev(name, data): return {"event": name, "data": data}

def sse_start(i=25, o=1, cw=0, cr=0):
    return ev("message_start", {"type": "message_start", "message": {
        "id": "msg_01Stream000000000000001", "type": "message", "role": "assistant", "content": [],
        "model": MODEL_ID, "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": i, "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr,
                  "output_tokens": o}}})

def sse_block_start(idx, block): return ev("content_block_start", {"type": "content_block_start", "index": idx, "content_block": block})
def sse_delta(idx, delta): return ev("content_block_delta", {"type": "content_block_delta", "index": idx, "delta": delta})
def sse_block_stop(idx): return ev("content_block_stop", {"type": "content_block_stop", "index": idx})
def sse_msg_delta(stop, o, extra_usage=None):
    u = {"output_tokens": o}
    u.update(extra_usage or {})
    return ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": u})
PING = ev("ping", {"type": "ping"})
STOP = ev("message_stop", {"type": "message_stop"})

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "City and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"], "additionalProperties": False}}}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}}
NOPARAM_TOOL = {"type": "function", "function": {"name": "ping_server"}}

HI = [{"role": "user", "content": "Hello"}]
TOOL_USE_REPLY = msg([text("I'll check the weather."),
                      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
                       "input": {"location": "San Francisco, CA", "unit": "celsius"}}], stop="tool_use")
SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 50},
          "age": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}},
          "required": ["name", "age"]}
RF = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}}

S = []
def add(name, request, reply, **kw):
    d = {"name": name, "request": request, "reply": reply}
    d.update(kw)
    S.append(d)

# ---- plain / system / messages ------------------------------------------------
add("plain", {"messages": HI}, msg([text("Hi! How can I help?")]))
add("system_string", {"messages": [{"role": "system", "content": "You are terse."}] + HI}, msg([text("Hi.")]))
add("system_list_cache_control_and_multiple_system",
    {"messages": [{"role": "system", "content": [
        {"type": "text", "text": "Long shared context.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": ""}, {"type": "text", "text": "Second block."}]},
        {"role": "user", "content": "Hello"},
        {"role": "system", "content": "Late system message."},
        {"role": "system", "content": ""}]},
    msg([text("Hello.")], u=usage(i=5, o=3, cw=1200, cr=0)))
add("developer_role", {"messages": [{"role": "developer", "content": "Dev instructions."}] + HI}, msg([text("ok")]))
add("multi_turn_final_assistant_prefill",
    {"messages": [{"role": "user", "content": "Count to 3"}, {"role": "assistant", "content": "1, 2, 3"},
                  {"role": "user", "content": "Again, but say 'Numbers:' first"},
                  {"role": "assistant", "content": "Numbers:   \n"}]},
    msg([text(" 1, 2, 3")]))
add("consecutive_same_role_and_empty",
    {"messages": [{"role": "user", "content": "First."}, {"role": "user", "content": ""},
                  {"role": "user", "content": [{"type": "text", "text": "Second (list)."},
                                               {"type": "text", "text": "cached", "cache_control": {"type": "ephemeral"}}]},
                  {"role": "assistant", "content": "A1"}, {"role": "assistant", "content": ""},
                  {"role": "assistant", "content": [{"type": "text", "text": "A2"}]},
                  {"role": "user", "content": "Third.", "cache_control": {"type": "ephemeral"}}]},
    msg([text("done")]))
add("assistant_first_no_user",
    {"messages": [{"role": "assistant", "content": "I start."}, {"role": "user", "content": "ok"}]}, msg([text("fine")]))
add("image_data_url_and_https_url",
    {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG_B64}},
        {"type": "image_url", "image_url": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="},
        {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}}]}]},
    msg([text("They differ.")]))
add("image_http_url_fetched_to_base64",
    {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "{BASE}/img/pixel.png"}}, {"type": "text", "text": "What is this?"}]}]},
    msg([text("A pixel.")]),
    routes={"/img/pixel.png": {"status": 200, "headers": {"content-type": "image/png"}, "raw_base64": PNG_B64}})
add("pdf_file_data",
    {"messages": [{"role": "user", "content": [
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQK"}},
        {"type": "text", "text": "Summarise"}]}]}, msg([text("A PDF.")]))

# ---- tools ---------------------------------------------------------------------
add("tools_auto_tool_use_reply",
    {"messages": [{"role": "user", "content": "Weather in SF?"}], "tools": [WEATHER_TOOL, NOPARAM_TOOL], "tool_choice": "auto"},
    TOOL_USE_REPLY)
add("tool_choice_required_parallel_false",
    {"messages": [{"role": "user", "content": "Weather in SF and the time?"}], "tools": [WEATHER_TOOL, TIME_TOOL],
     "tool_choice": "required", "parallel_tool_calls": False},
    msg([{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "SF"}},
         {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {"timezone": "America/Los_Angeles"}}], stop="tool_use"))
add("tool_choice_none_parallel_true",
    {"messages": HI, "tools": [WEATHER_TOOL], "tool_choice": "none", "parallel_tool_calls": True}, msg([text("Hi")]))
add("tool_choice_named",
    {"messages": [{"role": "user", "content": "SF"}], "tools": [WEATHER_TOOL],
     "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    msg([{"type": "tool_use", "id": "toolu_03", "name": "get_weather", "input": {}}], stop="tool_use"))
add("parallel_tool_calls_only",
    {"messages": HI, "tools": [WEATHER_TOOL], "parallel_tool_calls": False}, msg([text("Hi")]))
add("tool_result_round_trip",
    {"messages": [
        {"role": "user", "content": "Weather in SF and time?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\": \"SF\"}"}},
            {"id": "call:abc.123", "type": "function", "function": {"name": "get_time", "arguments": ""}}]},
        {"role": "tool", "tool_call_id": "toolu_01", "content": "15 degrees"},
        {"role": "tool", "tool_call_id": "call:abc.123", "content": [{"type": "text", "text": "10:00"}]},
        {"role": "user", "content": "Thanks, summarise."}],
     "tools": [WEATHER_TOOL, TIME_TOOL]},
    msg([text("It is 15 degrees at 10:00.")]))
add("tool_calls_in_history_without_tools_param",
    {"messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "toolu_01", "content": "sunny"}]},
    msg([text("Sunny.")]))

# ---- params --------------------------------------------------------------------
add("stop_string_and_stop_sequence_reply",
    {"messages": HI, "stop": "END"}, msg([text("Hello")], stop="stop_sequence", stop_seq="END"))
add("stop_list_with_whitespace",
    {"messages": HI, "stop": ["\n", "STOP"]}, msg([text("Hello")]))
add("sampling_params_user_max_tokens",
    {"messages": HI, "temperature": 0.2, "top_p": 0.9, "top_k": 40, "max_tokens": 100, "user": "user-123"},
    msg([text("Hello there, this is a long")], stop="max_tokens"))
add("user_email_dropped_and_metadata_user_id",
    {"messages": HI, "user": "someone@example.com", "metadata": {"user_id": "meta-user-7"}}, msg([text("Hi")]))
add("unknown_kwargs_passthrough", {"messages": HI, "foo_bar": {"x": 1}, "container": "c_1", "timeout": 30, "num_retries": 0},
    msg([text("Hi")]))
add("service_tier_unsupported", {"messages": HI, "service_tier": "auto"}, msg([text("Hi")]))
add("max_completion_tokens", {"messages": HI, "max_completion_tokens": 77}, msg([text("Hi")]))
add("max_tokens_absent_unknown_model", {"messages": HI}, msg([text("Hi")], model="claude-unknown-9"),
    model="anthropic/claude-unknown-9")
add("max_tokens_absent_claude_3_haiku", {"messages": HI}, msg([text("Hi")], model="claude-3-haiku-20240307"),
    model="anthropic/claude-3-haiku-20240307")
add("max_tokens_absent_opus_4_1", {"messages": HI}, msg([text("Hi")], model="claude-opus-4-1-20250805"),
    model="anthropic/claude-opus-4-1")
add("unsupported_param_n_raises", {"messages": HI, "n": 2, "presence_penalty": 0.5}, msg([text("Hi")]))
add("unsupported_params_dropped", {"messages": HI, "n": 2, "seed": 7, "frequency_penalty": 0.1, "logprobs": True,
                                   "drop_params": True}, msg([text("Hi")]))
add("extra_headers_anthropic_beta", {"messages": HI, "extra_headers": {"anthropic-beta": "context-1m-2025-08-07,not-a-real-beta", "x-custom": "1"}},
    msg([text("Hi")]))

# ---- response_format -------------------------------------------------------------
add("response_format_json_schema_native_sonnet_4_5",
    {"messages": [{"role": "user", "content": "Invent a person"}], "response_format": RF},
    msg([text("{\"name\": \"Ada\", \"age\": 36}")]))
add("response_format_json_schema_tool_haiku_4_5",
    {"messages": [{"role": "user", "content": "Invent a person"}], "response_format": RF},
    msg([{"type": "tool_use", "id": "toolu_json", "name": "json_tool_call", "input": {"name": "Ada", "age": 36}}],
        stop="tool_use", model="claude-haiku-4-5-20251001"),
    model="anthropic/claude-haiku-4-5")
add("response_format_json_schema_tool_values_unwrap",
    {"messages": [{"role": "user", "content": "List"}], "response_format": RF},
    msg([{"type": "tool_use", "id": "toolu_json", "name": "json_tool_call", "input": {"values": [1, 2]}}],
        stop="tool_use", model="claude-haiku-4-5-20251001"),
    model="anthropic/claude-haiku-4-5")
add("response_format_json_object_sonnet_4_5",
    {"messages": [{"role": "user", "content": "JSON please"}], "response_format": {"type": "json_object"}},
    msg([text("{\"a\": 1}")]))
add("response_format_json_object_haiku_4_5",
    {"messages": [{"role": "user", "content": "JSON please"}], "response_format": {"type": "json_object"}},
    msg([text("{\"a\": 1}")], model="claude-haiku-4-5-20251001"), model="anthropic/claude-haiku-4-5")

add("response_format_tool_with_user_tools_and_thinking_haiku_4_5",
    {"messages": [{"role": "user", "content": "Weather as JSON"}], "tools": [WEATHER_TOOL], "tool_choice": "auto",
     "response_format": RF},
    msg([{"type": "tool_use", "id": "toolu_w", "name": "get_weather", "input": {"location": "Zürich"}}],
        stop="tool_use", model="claude-haiku-4-5-20251001"),
    model="anthropic/claude-haiku-4-5")
add("response_format_tool_thinking_enabled_haiku_4_5",
    {"messages": [{"role": "user", "content": "Invent a person"}], "response_format": RF, "reasoning_effort": "medium"},
    msg([{"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
         {"type": "tool_use", "id": "toolu_json", "name": "json_tool_call", "input": {"name": "Zoë", "age": 3}}],
        stop="tool_use", model="claude-haiku-4-5-20251001"),
    model="anthropic/claude-haiku-4-5")

# ---- thinking ----------------------------------------------------------------------
THINK_REPLY = msg([{"type": "thinking", "thinking": "Let me think step by step.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
                   {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
                   text("The answer is 42.")], u=usage(i=40, o=120))
add("reasoning_effort_low_sonnet_4_5", {"messages": HI, "reasoning_effort": "low"}, THINK_REPLY)
add("reasoning_effort_high_sonnet_4_6", {"messages": HI, "reasoning_effort": "high"}, THINK_REPLY,
    model="anthropic/claude-sonnet-4-6")
add("thinking_param_with_max_tokens", {"messages": HI, "thinking": {"type": "enabled", "budget_tokens": 2000}, "max_tokens": 3000}, THINK_REPLY)
add("reasoning_effort_none_crashes", {"messages": HI, "reasoning_effort": "none"}, msg([text("x")]))
add("prefix_assistant_message", {"messages": HI + [{"role": "assistant", "content": "Sure:", "prefix": True}]}, msg([text(" yes")]))
add("usage_minimal_fields", {"messages": HI}, msg([text("x")], u={"input_tokens": 1, "output_tokens": 1}))
add("usage_with_cache_tokens", {"messages": HI}, msg([text("cached")], u=usage(i=10, o=5, cw=300, cr=2000)))
add("stop_reason_refusal_and_pause_turn", {"messages": HI}, msg([text("I can't help with that.")], stop="refusal"))
add("stop_reason_pause_turn", {"messages": HI}, msg([text("...")], stop="pause_turn"))
add("empty_content_reply", {"messages": HI}, msg([], stop="end_turn", u=usage(i=3, o=0)))

add("oauth_token_api_key", {"messages": HI}, msg([text("Hi")]), api_key="sk-ant-oat01-test")

# ---- api_base handling ---------------------------------------------------------------
add("api_base_trailing_slash", {"messages": HI}, msg([text("Hi")]), api_base_suffix="/")
add("api_base_v1_messages_trailing_slash", {"messages": HI}, msg([text("Hi")]), api_base_suffix="/v1/messages/")
add("api_base_already_v1_messages", {"messages": HI}, msg([text("Hi")]), api_base_suffix="/v1/messages")
add("api_base_with_v1", {"messages": HI}, msg([text("Hi")]), api_base_suffix="/v1")

# ---- streaming -----------------------------------------------------------------------
TEXT_SSE = [sse_start(), sse_block_start(0, {"type": "text", "text": ""}), PING,
            sse_delta(0, {"type": "text_delta", "text": "Hello"}), sse_delta(0, {"type": "text_delta", "text": "!"}),
            sse_block_stop(0), sse_msg_delta("end_turn", 15), STOP]
add("stream_text", {"messages": HI, "stream": True}, {"status": 200, "sse": TEXT_SSE})
add("stream_text_include_usage_cache", {"messages": HI, "stream": True, "stream_options": {"include_usage": True}},
    {"status": 200, "sse": [sse_start(i=25, o=1, cw=100, cr=50)] + TEXT_SSE[1:6] + [sse_msg_delta("end_turn", 15, {"input_tokens": 25, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 50}), STOP]})
add("stream_tool_calls",
    {"messages": [{"role": "user", "content": "Weather in SF and time?"}], "tools": [WEATHER_TOOL, TIME_TOOL, NOPARAM_TOOL], "stream": True,
     "stream_options": {"include_usage": True}},
    {"status": 200, "sse": [sse_start(),
        sse_block_start(0, {"type": "text", "text": ""}), sse_delta(0, {"type": "text_delta", "text": "Checking."}), sse_block_stop(0),
        sse_block_start(1, {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "get_weather", "input": {}}),
        sse_delta(1, {"type": "input_json_delta", "partial_json": ""}),
        sse_delta(1, {"type": "input_json_delta", "partial_json": "{\"location\": \"San Fra"}),
        sse_delta(1, {"type": "input_json_delta", "partial_json": "ncisco, CA\"}"}), sse_block_stop(1),
        sse_block_start(2, {"type": "tool_use", "id": "toolu_02", "name": "ping_server", "input": {}}), sse_block_stop(2),
        sse_block_start(3, {"type": "tool_use", "id": "toolu_03", "name": "get_time", "input": {}}),
        sse_delta(3, {"type": "input_json_delta", "partial_json": "{\"timezone\":\"PST\"}"}), sse_block_stop(3),
        sse_msg_delta("tool_use", 89), STOP]})
add("stream_usage_cache_only_in_message_start",
    {"messages": HI, "stream": True, "stream_options": {"include_usage": True}},
    {"status": 200, "sse": [sse_start(i=25, o=1, cw=100, cr=50)] + TEXT_SSE[1:6] + [sse_msg_delta("end_turn", 15), STOP]})
add("stream_tool_empty_args_delta",
    {"messages": HI, "tools": [NOPARAM_TOOL], "stream": True},
    {"status": 200, "sse": [sse_start(),
        sse_block_start(0, {"type": "tool_use", "id": "toolu_09", "name": "ping_server", "input": {}}),
        sse_delta(0, {"type": "input_json_delta", "partial_json": ""}), sse_block_stop(0),
        sse_msg_delta("tool_use", 9), STOP]})
add("stream_thinking",
    {"messages": HI, "stream": True, "reasoning_effort": "low"},
    {"status": 200, "sse": [sse_start(),
        sse_block_start(0, {"type": "thinking", "thinking": ""}),
        sse_delta(0, {"type": "thinking_delta", "thinking": "Let me think"}), sse_delta(0, {"type": "thinking_delta", "thinking": " hard."}),
        sse_delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}), sse_block_stop(0),
        sse_block_start(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}), sse_block_stop(1),
        sse_block_start(2, {"type": "text", "text": ""}), sse_delta(2, {"type": "text_delta", "text": "42"}), sse_block_stop(2),
        sse_msg_delta("end_turn", 30), STOP]})
add("stream_json_mode_tool_haiku_4_5",
    {"messages": [{"role": "user", "content": "Invent a person"}], "response_format": RF, "stream": True},
    {"status": 200, "sse": [sse_start(),
        sse_block_start(0, {"type": "tool_use", "id": "toolu_json", "name": "json_tool_call", "input": {}}),
        sse_delta(0, {"type": "input_json_delta", "partial_json": ""}),
        sse_delta(0, {"type": "input_json_delta", "partial_json": "{\"name\": \"Ada\","}),
        sse_delta(0, {"type": "input_json_delta", "partial_json": " \"age\": 36}"}), sse_block_stop(0),
        sse_msg_delta("tool_use", 20), STOP]},
    model="anthropic/claude-haiku-4-5")
add("stream_max_tokens_stop",
    {"messages": HI, "stream": True, "max_tokens": 2},
    {"status": 200, "sse": [sse_start(), sse_block_start(0, {"type": "text", "text": ""}),
        sse_delta(0, {"type": "text_delta", "text": "Hel"}), sse_block_stop(0), sse_msg_delta("max_tokens", 2), STOP]})
add("stream_error_event_midstream",
    {"messages": HI, "stream": True},
    {"status": 200, "sse": [sse_start(), sse_block_start(0, {"type": "text", "text": ""}),
        sse_delta(0, {"type": "text_delta", "text": "Hel"}),
        ev("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})]})
add("stream_http_429", {"messages": HI, "stream": True},
    err(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", {"retry-after": "17"}))
add("stream_http_400_prompt_too_long", {"messages": HI, "stream": True},
    err(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"))
add("async_stream_text", {"messages": HI, "stream": True}, {"status": 200, "sse": TEXT_SSE}, **{"async": True})
add("async_plain", {"messages": HI}, msg([text("Hi async")]), **{"async": True})

# ---- errors --------------------------------------------------------------------------
add("error_400_invalid_request", {"messages": HI}, err(400, "invalid_request_error", "messages: roles must alternate between \"user\" and \"assistant\""))
add("error_400_prompt_too_long", {"messages": HI}, err(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"))
add("error_401_authentication", {"messages": HI}, err(401, "authentication_error", "invalid x-api-key"))
add("error_403_permission", {"messages": HI}, err(403, "permission_error", "Your API key does not have permission to use the specified resource."))
add("error_404_not_found", {"messages": HI}, err(404, "not_found_error", "model: claude-nope"))
add("error_413_request_too_large", {"messages": HI}, err(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."))
add("error_429_rate_limit_retry_after", {"messages": HI},
    err(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
        {"retry-after": "17", "anthropic-ratelimit-requests-remaining": "0"}))
add("error_500_api_error", {"messages": HI}, err(500, "api_error", "Internal server error"))
add("error_529_overloaded", {"messages": HI}, err(529, "overloaded_error", "Overloaded"))
add("error_200_error_body", {"messages": HI}, {"status": 200, "body": {"type": "error", "error": {"type": "api_error", "message": "weird"}}})
add("error_502_html", {"messages": HI}, {"status": 502, "raw": "<html>bad gateway</html>"})
add("error_no_messages", {"messages": [{"role": "system", "content": "only system"}]}, msg([text("x")]))

json.dump(S, sys.stdout, indent=1)
sys.stdout.write("\n")
