#!/usr/bin/env python3
"""Writes gemini_scenarios.json, ollama_scenarios.json and cohere_scenarios.json
(next to this file) for provider_capture.py. Replies are shaped after the
providers' public API references (Gemini generateContent/streamGenerateContent,
Ollama /api/chat and /api/generate, Cohere v2 /v2/chat); nothing here encodes
what LiteLLM does with them.

    python3 tests/differential/make_provider_scenarios.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def gemini_scenarios():
    M = "gemini/gemini-2.5-flash"
    PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

    def usage(p, c, **kw):
        u = {"promptTokenCount": p, "candidatesTokenCount": c, "totalTokenCount": p + c + kw.pop("extra", 0),
             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": p}]}
        u.update(kw)
        return u

    def text_reply(text, p=8, c=3, finish="STOP", rid="resp-gem-1"):
        return {"json": {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                         "finishReason": finish, "index": 0}],
                         "usageMetadata": usage(p, c), "modelVersion": "gemini-2.5-flash", "responseId": rid}}

    def err(code, status, message, details=None, headers=None):
        e = {"error": {"code": code, "message": message, "status": status}}
        if details:
            e["error"]["details"] = details
        r = {"status": code, "json": e}
        if headers:
            r["headers"] = headers
        return r

    WEATHER_TOOL = {"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather for a city", "strict": True,
        "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object", "additionalProperties": False,
            "properties": {
                "city": {"type": "string", "description": "City name", "minLength": 1, "format": "uri", "examples": ["Paris"]},
                "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
                "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 7, "exclusiveMaximum": 8},
                "level": {"type": "integer", "enum": [1, 2, 3]},
                "tags": {"type": "array", "items": {}, "minItems": 1, "uniqueItems": True},
                "opt": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Opt"},
                "mode": {"const": "fast"},
                "address": {"$ref": "#/$defs/Address"}
            },
            "required": ["city"],
            "$defs": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}, "additionalProperties": False}}
        }}}
    TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "Current time",
                                                  "parameters": {"type": "object", "properties": {}}}}

    S = []
    def add(name, request, reply, model=M, **kw):
        d = {"name": name, "model": model, "request": request, "reply": reply}
        d.update(kw)
        S.append(d)

    U = lambda t: {"role": "user", "content": t}

    add("plain_text", {"messages": [U("Say hello")]}, text_reply("Hello!"))
    add("default_url_key_in_query", {"messages": [U("Say hello")]}, text_reply("Hello!"), api_base=None,
        note="no api_base: LiteLLM's own URL, key in ?key=")
    add("default_url_stream", {"messages": [U("Say hello")], "stream": True},
        {"sse": [{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
                  "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "modelVersion": "gemini-2.5-flash", "responseId": "s1"},
                 {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo!"}]}, "finishReason": "STOP", "index": 0}],
                  "usageMetadata": usage(3, 2), "modelVersion": "gemini-2.5-flash", "responseId": "s1"}]}, api_base=None)
    add("gemini3_default_url", {"messages": [U("Hi")]}, text_reply("Hi there"), model="gemini/gemini-3-pro-preview", api_base=None,
        note="gemini-3 -> v1alpha, temperature defaults to 1.0")
    add("custom_base_with_version_suffix", {"messages": [U("Hi")]}, text_reply("Hi"), api_base="capture+/v1beta")
    add("system_and_multi_turn", {"messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "system", "content": [{"type": "text", "text": "Answer in French."}]},
        U("Hi"), {"role": "assistant", "content": "Bonjour"},
        U("What's 2+2?"), U("Just the number."),
        {"role": "assistant", "content": "4"}, {"role": "assistant", "content": [{"type": "text", "text": "Quatre."}]},
        U("Thanks")]}, text_reply("De rien"))
    add("system_unknown_model_folded_into_user", {"messages": [{"role": "system", "content": "Be brief."}, U("Hi")]},
        text_reply("Hi"), model="gemini/my-tuned-model",
        note="model not in LiteLLM's map: supports_system_messages is False -> system text becomes a user part")
    add("only_system_message", {"messages": [{"role": "system", "content": "Be brief."}]}, text_reply("."))
    add("image_data_uri_detail_high", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG, "detail": "high"}}]}]},
        text_reply("A single pixel."))
    add("image_http_url_downloaded", {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": "{{CAPTURE}}/__asset/pixel.png"}]}]}, text_reply("A pixel."),
        note="http:// image URL is downloaded and sent inline; no text part -> LiteLLM adds a ' ' text part")
    add("tools_schema_cleanup_required_parallel_calls",
        {"messages": [U("Weather in Paris and the time?")], "tools": [WEATHER_TOOL, TIME_TOOL], "tool_choice": "required"},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "c"}}},
            {"functionCall": {"name": "get_time", "args": {}}}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage(40, 12), "modelVersion": "gemini-2.5-flash", "responseId": "tc1"}})
    add("tool_choice_named_function", {"messages": [U("Weather in Rome")], "tools": [TIME_TOOL, {"type": "function", "function": {
        "name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}}},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Let me look that up."},
            {"functionCall": {"name": "lookup", "args": {"q": "Rome weather"}}, "thoughtSignature": "c2lnbmF0dXJl"}]},
            "finishReason": "STOP", "index": 0}], "usageMetadata": usage(20, 5)}})
    add("tool_choice_none_and_auto", {"messages": [U("Hi")], "tools": [TIME_TOOL], "tool_choice": "none"}, text_reply("Hi"))
    add("tool_result_round_trip", {"messages": [
        U("Weather in Paris and the time?"),
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\": 21}"},
        {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
        U("Summarise.")], "tools": [WEATHER_TOOL, TIME_TOOL]},
        text_reply("21C and noon."))
    add("response_format_json_schema_gemini2", {"messages": [U("Give a person")], "response_format": {"type": "json_schema", "json_schema": {
        "name": "person", "strict": True, "schema": {"type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": ["string", "null"]}},
        "required": ["name", "age", "email"]}}}}, text_reply('{"name":"Ann","age":30,"email":null}'))
    add("response_format_json_schema_gemini15_in_map", {"messages": [U("Give a person")], "response_format": {"type": "json_schema", "json_schema": {
        "name": "person", "strict": True, "schema": {"type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": ["string", "null"]}},
        "required": ["name", "age", "email"]}}}}, text_reply('{"name":"Ann","age":30,"email":null}'),
        model="gemini/gemini-1.5-pro",
        note="pre-2.0 model name: responseSchema (OpenAPI subset, propertyOrdering) if LiteLLM thinks it supports schemas, else a prompt")
    add("response_format_json_schema_flash_latest_openapi", {"messages": [U("Give a person")], "response_format": {"type": "json_schema", "json_schema": {
        "name": "person", "strict": True, "schema": {"type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string", "format": "email"}, "age": {"type": "integer", "minimum": 0}, "email": {"type": ["string", "null"]},
                       "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}}},
        "required": ["name", "age", "email"], "$defs": {"Tag": {"type": "object", "properties": {"k": {"type": "string"}}, "additionalProperties": False}}}}}},
        text_reply('{"name":"Ann","age":30,"email":null,"tags":[]}'), model="gemini/gemini-flash-latest",
        note="name without 'gemini-N.' -> responseSchema (OpenAPI subset, propertyOrdering); same for gemini-3-*")
    add("response_format_json_object", {"messages": [U("JSON please")], "response_format": {"type": "json_object"}}, text_reply('{"a":1}'))
    add("generation_params", {"messages": [U("Count")], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": "END",
                              "n": 2, "presence_penalty": 0.5, "frequency_penalty": 0.25, "logprobs": True},
        {"json": {"candidates": [
            {"content": {"role": "model", "parts": [{"text": "1 2 3"}]}, "finishReason": "STOP", "index": 0},
            {"content": {"role": "model", "parts": [{"text": "1 2 3 4 5"}]}, "finishReason": "MAX_TOKENS", "index": 1}],
            "usageMetadata": usage(4, 9)}})
    add("unsupported_seed_top_logprobs", {"messages": [U("x")], "seed": 7, "top_logprobs": 2}, text_reply("x"),
        note="GoogleAIStudioGeminiConfig does not list seed/top_logprobs: UnsupportedParamsError unless drop_params")
    add("seed_dropped_with_drop_params", {"messages": [U("x")], "seed": 7, "drop_params": True}, text_reply("x"))
    add("max_completion_tokens_and_stop_list", {"messages": [U("Count")], "max_completion_tokens": 10, "stop": ["a", "b"]},
        text_reply("1 2", finish="MAX_TOKENS"))
    add("reasoning_effort_low_thinking_reply", {"messages": [U("Think")], "reasoning_effort": "low"},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Let me think...", "thought": True}, {"text": "42"}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1, "thoughtsTokenCount": 20, "totalTokenCount": 31,
                              "cachedContentTokenCount": 4,
                              "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
                              "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 4}]},
            "modelVersion": "gemini-2.5-flash", "responseId": "think1"}})
    add("usage_implicit_cache", {"messages": [U("Hi")]},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP", "index": 0}],
                  "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 2, "totalTokenCount": 1002, "cachedContentTokenCount": 800,
                                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1000}]}}})
    add("stream_text", {"messages": [U("Say hello")], "stream": True, "stream_options": {"include_usage": True}},
        {"sse": [
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
             "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "modelVersion": "gemini-2.5-flash", "responseId": "st1"},
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo "}]}, "index": 0}],
             "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}, "modelVersion": "gemini-2.5-flash", "responseId": "st1"},
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "world"}]}, "finishReason": "STOP", "index": 0}],
             "usageMetadata": usage(3, 3), "modelVersion": "gemini-2.5-flash", "responseId": "st1"}]})
    add("stream_text_async", {"messages": [U("Say hello")], "stream": True},
        {"sse": [
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "index": 0}], "responseId": "st2"},
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP", "index": 0}],
             "usageMetadata": usage(3, 2), "responseId": "st2"}]}, **{"async": True})
    add("stream_tool_call", {"messages": [U("Weather in Paris and the time?")], "tools": [WEATHER_TOOL, TIME_TOOL], "stream": True},
        {"sse": [
            {"candidates": [{"content": {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "get_time", "args": {}}}]}, "index": 0}],
             "usageMetadata": {"promptTokenCount": 30, "totalTokenCount": 30}, "responseId": "stc"},
            {"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}],
             "usageMetadata": usage(30, 10), "responseId": "stc"}]})
    add("stream_safety_mid_stream", {"messages": [U("Tell me something")], "stream": True},
        {"sse": [
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "Well, "}]}, "index": 0}], "responseId": "ss"},
            {"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}],
             "usageMetadata": usage(5, 2), "responseId": "ss"}]})
    add("stream_prompt_blocked", {"messages": [U("bad prompt")], "stream": True},
        {"sse": [{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}]},
            "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}, "responseId": "pb"}]})
    add("safety_block_candidate", {"messages": [U("Tell me something bad")]},
        {"json": {"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
            "usageMetadata": {"promptTokenCount": 6, "totalTokenCount": 6}, "responseId": "sb"}})
    add("prompt_blocked", {"messages": [U("bad prompt")]},
        {"json": {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                  "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}, "modelVersion": "gemini-2.5-flash"}})
    add("recitation_finish", {"messages": [U("Lyrics")]},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [{"text": "partial"}]}, "finishReason": "RECITATION", "index": 0}],
                  "usageMetadata": usage(3, 1)}})
    add("malformed_function_call_finish", {"messages": [U("x")], "tools": [TIME_TOOL]},
        {"json": {"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}],
                  "usageMetadata": usage(3, 0)}})
    add("empty_candidates_no_usage", {"messages": [U("x")]}, {"json": {"candidates": []}},
        note="no usageMetadata at all -> LiteLLM's _calculate_usage raises")
    add("error_400_invalid_argument", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"))
    add("error_400_api_key_invalid", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
              "metadata": {"service": "generativelanguage.googleapis.com"}}]), api_base=None)
    add("error_400_context_window", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."))
    add("error_401_unauthenticated", {"messages": [U("x")]},
        err(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."))
    add("error_403_permission_denied", {"messages": [U("x")]},
        err(403, "PERMISSION_DENIED", "Permission denied: Consumer 'api_key:xyz' has been suspended."))
    add("error_404_not_found", {"messages": [U("x")]},
        err(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent."))
    add("error_429_resource_exhausted", {"messages": [U("x")]},
        err(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.",
            [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}], headers={"Retry-After": "7"}))
    add("error_500_internal", {"messages": [U("x")]},
        err(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"))
    add("error_503_overloaded", {"messages": [U("x")]}, err(503, "UNAVAILABLE", "The model is overloaded. Please try again later."))
    add("error_503_unavailable_plain", {"messages": [U("x")]}, err(503, "UNAVAILABLE", "The service is currently unavailable."))
    add("error_504_deadline", {"messages": [U("x")]}, err(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."))
    add("stream_error_429", {"messages": [U("x")], "stream": True},
        err(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."))
    add("stream_error_400_default_url", {"messages": [U("x")], "stream": True},
        err(400, "INVALID_ARGUMENT", "Invalid JSON payload received."), api_base=None)
    add("async_error_500", {"messages": [U("x")]}, err(500, "INTERNAL", "Internal error encountered."), **{"async": True})
    add("error_body_echoes_key_default_url", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "Bad request to /v1beta/models/gemini-2.5-flash:generateContent?key=test-key&alt=json"), api_base=None,
        note="does LiteLLM scrub key= from provider error bodies? (mask_sensitive_info is not applied on this path)")
    add("connection_refused", {"messages": [U("x")]}, {"json": {}}, api_base="http://127.0.0.1:9", reroute=False)
    add("non_json_200_reply", {"messages": [U("x")]}, {"status": 200, "body": "<html>oops</html>", "content_type": "text/html"})

    return S


def ollama_scenarios():
    PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    MC = "ollama_chat/llama3.2"
    MG = "ollama/llama3.2"
    TS = "2025-01-01T00:00:00.000000Z"
    def chat(content, done_reason="stop", p=26, e=9, extra_msg=None, counts=True, model="llama3.2"):
        msg = {"role": "assistant", "content": content}
        if extra_msg: msg.update(extra_msg)
        j = {"model": model, "created_at": TS, "message": msg, "done": True, "done_reason": done_reason,
             "total_duration": 5191566416, "load_duration": 2154458, "prompt_eval_duration": 383809000, "eval_duration": 4799921000}
        if counts: j.update({"prompt_eval_count": p, "eval_count": e})
        return {"json": j}
    def gen(text, done_reason="stop", p=26, e=9):
        return {"json": {"model": "llama3.2", "created_at": TS, "response": text, "done": True, "done_reason": done_reason,
                         "context": [1, 2, 3], "total_duration": 4935886791, "load_duration": 534986708,
                         "prompt_eval_count": p, "prompt_eval_duration": 107345000, "eval_count": e, "eval_duration": 4289432000}}
    def err(code, msg):
        return {"status": code, "json": {"error": msg}}
    def cchunk(content, done=False, **kw):
        d = {"model": "llama3.2", "created_at": TS, "message": {"role": "assistant", "content": content}, "done": done}
        d.update(kw); return d
    def gchunk(text, done=False, **kw):
        d = {"model": "llama3.2", "created_at": TS, "response": text, "done": done}
        d.update(kw); return d
    FINAL = dict(done_reason="stop", total_duration=1, prompt_eval_count=26, eval_count=3)
    WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get weather", "strict": True,
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}}}
    U = lambda t: {"role": "user", "content": t}
    S = []
    def add(name, model, request, reply, **kw):
        d = {"name": name, "model": model, "request": request, "reply": reply}; d.update(kw); S.append(d)

    # ---- ollama_chat/ -> /api/chat
    add("chat_plain", MC, {"messages": [U("Say hello")]}, chat("Hello!"))
    add("chat_default_url_no_key", MC, {"messages": [U("Say hello")]}, chat("Hello!"), api_base=None, api_key=None,
        note="no api_base: http://localhost:11434/api/chat; no key: no Authorization")
    add("chat_api_base_with_path", MC, {"messages": [U("Hi")]}, chat("Hi"), api_base="capture+/api/chat")
    add("chat_system_multiturn_content_list", MC, {"messages": [
        {"role": "system", "content": "You are terse."}, U("Hi"), {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": [{"type": "text", "text": "Part one. "}, {"type": "text", "text": "Part two."}]}]}, chat("OK"))
    add("chat_image_data_uri", MC, {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}}]}]}, chat("A pixel"))
    add("chat_image_http_url", MC, {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": "{{CAPTURE}}/__asset/pixel.png"}]}]}, chat("A pixel"))
    add("chat_tools_tool_choice_dropped", MC, {"messages": [U("Weather in Paris?")], "tools": [WEATHER], "tool_choice": "required"},
        chat("", extra_msg={"tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                                           {"function": {"name": "get_weather", "arguments": {"city": "Lyon"}}}]}))
    add("chat_tool_result_round_trip", MC, {"messages": [U("Weather in Paris?"),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp_c\": 21}"}], "tools": [WEATHER]},
        chat("It is 21C."))
    add("chat_response_format_json_schema", MC, {"messages": [U("Person")], "response_format": {"type": "json_schema", "json_schema": {
        "name": "p", "strict": True, "schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": False}}}},
        chat('{"name": "Ann"}'))
    add("chat_response_format_json_object", MC, {"messages": [U("JSON")], "response_format": {"type": "json_object"}}, chat('{"a": 1}'))
    add("chat_params", MC, {"messages": [U("Count")], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ["END"], "seed": 7,
                            "frequency_penalty": 1.1}, chat("1 2 3"))
    add("chat_max_completion_tokens_stop_str", MC, {"messages": [U("Count")], "max_completion_tokens": 5, "stop": "END"}, chat("1 2"))
    add("chat_presence_penalty_unsupported", MC, {"messages": [U("x")], "presence_penalty": 0.5}, chat("x"))
    add("chat_extra_ollama_options", MC, {"messages": [U("x")], "num_ctx": 4096, "top_k": 20, "keep_alive": "5m", "repeat_penalty": 1.2},
        chat("x"), note="provider-specific kwargs pass through into options (keep_alive goes top level)")
    add("chat_done_reason_length", MC, {"messages": [U("Long")], "max_tokens": 3}, chat("1 2 3", done_reason="length"))
    add("chat_reasoning_effort_thinking", MC, {"messages": [U("Think")], "reasoning_effort": "high"},
        chat("42", extra_msg={"thinking": "Let me think."}))
    add("chat_think_tags_in_content", MC, {"messages": [U("Think")]}, chat("<think>hmm</think>42"))
    add("chat_missing_counts", MC, {"messages": [U("Hello there")]}, chat("Hi there friend", counts=False),
        note="no prompt_eval_count/eval_count -> LiteLLM counts tokens itself")
    add("chat_stream_text", MC, {"messages": [U("Say hello")], "stream": True},
        {"ndjson": [cchunk("Hel"), cchunk("lo"), cchunk("!"), cchunk("", True, **FINAL)]})
    add("chat_stream_text_include_usage", MC, {"messages": [U("Say hello")], "stream": True, "stream_options": {"include_usage": True}},
        {"ndjson": [cchunk("Hel"), cchunk("lo"), cchunk("", True, **FINAL)]})
    add("chat_stream_done_reason_length", MC, {"messages": [U("x")], "stream": True},
        {"ndjson": [cchunk("1 2"), cchunk("", True, **dict(FINAL, done_reason="length"))]})
    add("chat_stream_tool_call", MC, {"messages": [U("Weather?")], "stream": True, "tools": [WEATHER]},
        {"ndjson": [{"model": "llama3.2", "created_at": TS, "message": {"role": "assistant", "content": "",
                     "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, "done": False},
                    cchunk("", True, **FINAL)]})
    add("chat_stream_thinking", MC, {"messages": [U("x")], "stream": True, "reasoning_effort": "low"},
        {"ndjson": [{"model": "llama3.2", "created_at": TS, "message": {"role": "assistant", "content": "", "thinking": "hmm"}, "done": False},
                    cchunk("42"), cchunk("", True, **FINAL)]})
    add("chat_stream_error_line", MC, {"messages": [U("x")], "stream": True},
        {"ndjson": [cchunk("Hel"), {"error": "an error was encountered while running the model: unexpected EOF"}]})
    add("chat_stream_http_404", MC, {"messages": [U("x")], "stream": True}, err(404, 'model "llama3.2" not found, try pulling it first'))
    add("chat_error_400", MC, {"messages": [U("x")]}, err(400, "invalid options: foo"))
    add("chat_error_401", MC, {"messages": [U("x")]}, err(401, "unauthorized"))
    add("chat_error_404_model_not_found", MC, {"messages": [U("x")]}, err(404, 'model "llama3.2" not found, try pulling it first'))
    add("chat_error_429", MC, {"messages": [U("x")]}, err(429, "too many requests"))
    add("chat_error_500", MC, {"messages": [U("x")]}, err(500, "llama runner process has terminated: exit status 2"))
    add("chat_error_503", MC, {"messages": [U("x")]}, err(503, "server busy, please try again.  maximum pending requests exceeded"))
    add("chat_connection_refused", MC, {"messages": [U("x")]}, {"json": {}}, api_base="http://127.0.0.1:9", reroute=False)
    add("chat_async_plain", MC, {"messages": [U("Say hello")]}, chat("Hello!"), **{"async": True})
    # ---- ollama/ -> /api/generate
    add("gen_plain", MG, {"messages": [U("Say hello")]}, gen("Hello!"))
    add("gen_default_url", MG, {"messages": [U("Say hello")]}, gen("Hello!"), api_base=None)
    add("gen_system_multiturn_prompt", MG, {"messages": [{"role": "system", "content": "You are terse."}, U("Hi"),
        {"role": "assistant", "content": "Hello"}, U("Bye")]}, gen("Bye"))
    add("gen_params", MG, {"messages": [U("x")], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ["END"], "seed": 7, "frequency_penalty": 1.1},
        gen("x"))
    add("gen_extra_options", MG, {"messages": [U("x")], "num_ctx": 4096, "keep_alive": "5m", "top_k": 20}, gen("x"),
        note="on /api/generate keep_alive is not lifted to the top level")
    add("gen_json_object", MG, {"messages": [U("JSON")], "response_format": {"type": "json_object"}}, gen('{"a":1,"b":"\u00e9"}'),
        note="format=json on /api/generate: LiteLLM re-serialises the JSON reply (Python json.dumps spacing, ASCII escapes)")
    add("gen_json_schema", MG, {"messages": [U("JSON")], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}, gen('{"a": 1}'))
    add("gen_tools_via_prompt", MG, {"messages": [U("Weather in Paris?")], "tools": [WEATHER], "tool_choice": "auto"},
        gen('{"name": "get_weather", "arguments": {"city": "Paris"}}'))
    add("gen_done_reason_length", MG, {"messages": [U("x")]}, gen("1 2", done_reason="length"))
    add("gen_stream_text", MG, {"messages": [U("Say hello")], "stream": True},
        {"ndjson": [gchunk("Hel"), gchunk("lo"), gchunk("", True, **dict(FINAL, context=[1]))]})
    add("gen_error_404", MG, {"messages": [U("x")]}, err(404, 'model "llama3.2" not found, try pulling it first'))
    add("gen_error_500", MG, {"messages": [U("x")]}, err(500, "llama runner process has terminated"))
    return S


def cohere_scenarios():
    MC = "cohere_chat/command-a-03-2025"
    MP = "cohere/command-r-plus"
    V2 = "capture+/v2/chat"
    U = lambda t: {"role": "user", "content": t}
    def usage(bi, bo, ti, to):
        return {"billed_units": {"input_tokens": bi, "output_tokens": bo}, "tokens": {"input_tokens": ti, "output_tokens": to}}
    def text(t, finish="COMPLETE", rid="c0a8-1"):
        return {"json": {"id": rid, "message": {"role": "assistant", "content": [{"type": "text", "text": t}]},
                         "finish_reason": finish, "usage": usage(5, 3, 71, 3)}}
    def err(code, msg, rid="err-1"):
        return {"status": code, "json": {"id": rid, "message": msg}}
    WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Get weather",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    S = []
    def add(name, model, request, reply, api_base=V2, **kw):
        d = {"name": name, "model": model, "request": request, "reply": reply, "api_base": api_base}; d.update(kw); S.append(d)
    def ev(t, **kw):
        d = {"type": t}; d.update(kw); return d
    STREAM_TEXT = [
        ev("message-start", id="st-1", delta={"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}),
        ev("content-start", index=0, delta={"message": {"content": {"type": "text", "text": ""}}}),
        ev("content-delta", index=0, delta={"message": {"content": {"text": "Hel"}}}),
        ev("content-delta", index=0, delta={"message": {"content": {"text": "lo!"}}}),
        ev("content-end", index=0),
        ev("message-end", delta={"finish_reason": "COMPLETE", "usage": usage(3, 2, 60, 2)})]
    STREAM_TOOL = [
        ev("message-start", id="st-2", delta={"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}),
        ev("tool-plan-delta", delta={"message": {"tool_plan": "I will check the weather."}}),
        ev("tool-call-start", index=0, delta={"message": {"tool_calls": {"id": "get_weather_abc123", "type": "function",
                                                                         "function": {"name": "get_weather", "arguments": ""}}}}),
        ev("tool-call-delta", index=0, delta={"message": {"tool_calls": {"function": {"arguments": "{\"city\":"}}}}),
        ev("tool-call-delta", index=0, delta={"message": {"tool_calls": {"function": {"arguments": " \"Paris\"}"}}}}),
        ev("tool-call-end", index=0),
        ev("message-end", delta={"finish_reason": "TOOL_CALL", "usage": usage(10, 8, 80, 8)})]

    add("plain", MC, {"messages": [U("Say hello")]}, text("Hello!"))
    add("cohere_prefix_default_url", MP, {"messages": [U("Say hello")]}, text("Hello!"), api_base=None,
        note="no api_base -> https://api.cohere.com/v2/chat; cohere/ and cohere_chat/ both use v2")
    add("api_base_used_verbatim", MC, {"messages": [U("Say hello")]}, text("Hello!"), api_base="capture",
        note="api_base is the complete URL: nothing (/v2/chat) is appended")
    add("v2_prefix_stripped", "cohere_chat/v2/command-r", {"messages": [U("Hi")]}, text("Hi"), api_base=None)
    add("v1_route_legacy", "cohere_chat/v1/command-r", {"messages": [U("Hi")]},
        {"json": {"response_id": "r1", "text": "Hi", "generation_id": "g1", "chat_history": [], "finish_reason": "COMPLETE",
                  "meta": {"api_version": {"version": "1"}, "billed_units": {"input_tokens": 2, "output_tokens": 1},
                           "tokens": {"input_tokens": 60, "output_tokens": 1}}}}, api_base=None,
        note="a model string containing 'v1/' selects the legacy v1 /v1/chat route")
    add("system_multiturn", MC, {"messages": [{"role": "system", "content": "You are terse."}, U("Hi"),
        {"role": "assistant", "content": "Hello"}, {"role": "user", "content": [{"type": "text", "text": "Bye"}]}]}, text("Bye"))
    add("image_content_passthrough", MC, {"messages": [{"role": "user", "content": [{"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}, text("A pixel"))
    add("tools_and_tool_choice", MC, {"messages": [U("Weather in Paris?")], "tools": [WEATHER], "tool_choice": "required"},
        {"json": {"id": "tc-1", "message": {"role": "assistant", "tool_plan": "I will look up the weather in Paris.",
                  "tool_calls": [{"id": "get_weather_1byjy32y4hvq", "type": "function",
                                  "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                  "finish_reason": "TOOL_CALL", "usage": usage(20, 15, 900, 15)}})
    add("tool_result_round_trip", MC, {"messages": [U("Weather in Paris?"),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "get_weather_1byjy32y4hvq", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "get_weather_1byjy32y4hvq", "content": "{\"temp_c\": 21}"}], "tools": [WEATHER]},
        text("It is 21C in Paris."))
    add("response_format_json_schema_unsupported", MC, {"messages": [U("Person")], "response_format": {"type": "json_schema",
        "json_schema": {"name": "p", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}, text('{"name":"Ann"}'))
    add("response_format_dropped_with_drop_params", MC, {"messages": [U("Person")], "response_format": {"type": "json_object"}, "drop_params": True},
        text('{"name":"Ann"}'))
    add("params", MC, {"messages": [U("Count")], "temperature": 0.3, "max_tokens": 20, "top_p": 0.8, "stop": ["END"], "n": 1,
                       "seed": 42, "frequency_penalty": 0.1, "presence_penalty": 0.2}, text("1 2 3"))
    add("provider_specific_params_passthrough", MC, {"messages": [U("x")], "k": 5, "safety_mode": "STRICT", "documents": [{"id": "d1", "data": {"text": "doc"}}]},
        text("x"))
    add("finish_max_tokens", MC, {"messages": [U("Count")], "max_tokens": 2}, text("1 2", finish="MAX_TOKENS"))
    add("finish_stop_sequence", MC, {"messages": [U("Count")], "stop": "3"}, text("1 2", finish="STOP_SEQUENCE"))
    add("citations_to_annotations", MC, {"messages": [U("What does the doc say?")]},
        {"json": {"id": "ci-1", "message": {"role": "assistant", "content": [{"type": "text", "text": "The sky is blue."}],
                  "citations": [{"start": 4, "end": 15, "text": "sky is blue", "type": "TEXT_CONTENT",
                                 "sources": [{"type": "document", "id": "doc:0", "document": {"id": "doc:0", "title": "Sky facts", "snippet": "The sky is blue."}}]}]},
                  "finish_reason": "COMPLETE", "usage": usage(10, 5, 100, 5)}})
    add("stream_text_json_lines", MC, {"messages": [U("Say hello")], "stream": True}, {"ndjson": STREAM_TEXT},
        note="LiteLLM sends accept: application/json; Cohere then streams one JSON event per line")
    add("stream_text_include_usage", MC, {"messages": [U("Say hello")], "stream": True, "stream_options": {"include_usage": True}},
        {"ndjson": STREAM_TEXT})
    add("stream_text_sse_framed", MC, {"messages": [U("Say hello")], "stream": True}, {"sse_events": [[e["type"], e] for e in STREAM_TEXT]},
        note="the text/event-stream framing (event:/data: lines) Cohere uses for accept: text/event-stream")
    add("stream_tool_call", MC, {"messages": [U("Weather?")], "stream": True, "tools": [WEATHER]}, {"ndjson": STREAM_TOOL})
    add("stream_http_429", MC, {"messages": [U("x")], "stream": True}, err(429, "You are using a Trial key, which is limited to 10 API calls / minute."))
    add("error_400", MC, {"messages": [U("x")]}, err(400, "invalid request: message must be at least 1 token long or tool results must be specified."))
    add("error_401_invalid_token", MC, {"messages": [U("x")]}, err(401, "invalid api token"))
    add("error_402_payment", MC, {"messages": [U("x")]}, err(402, "Please add or update your payment method."))
    add("error_404_model", MC, {"messages": [U("x")]}, err(404, "model 'command-x' not found, make sure the correct model ID was used and that you have access to the model."))
    add("error_422_too_many_tokens", MC, {"messages": [U("x")]}, err(422, "too many tokens: total number of tokens in the prompt cannot exceed 128000"))
    add("error_429", MC, {"messages": [U("x")]}, err(429, "You are using a Trial key, which is limited to 10 API calls / minute."))
    add("error_498_invalid_token", MC, {"messages": [U("x")]}, err(498, "invalid api token"))
    add("error_500", MC, {"messages": [U("x")]}, err(500, "internal server error, this has been reported to our developers. id abc"))
    add("error_503", MC, {"messages": [U("x")]}, err(503, "service unavailable"))
    add("error_504", MC, {"messages": [U("x")]}, err(504, "gateway timeout"))
    add("async_plain", MC, {"messages": [U("Say hello")]}, text("Hello!"), **{"async": True})
    return S


def main():
    for name, fn in (("gemini", gemini_scenarios), ("ollama", ollama_scenarios), ("cohere", cohere_scenarios)):
        scenarios = fn()
        names = [s["name"] for s in scenarios]
        assert len(names) == len(set(names)), name
        with open(os.path.join(HERE, f"{name}_scenarios.json"), "w") as f:
            json.dump(scenarios, f, indent=1)
        print(f"{name}_scenarios.json: {len(scenarios)} scenarios")


if __name__ == "__main__":
    main()
