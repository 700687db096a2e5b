#!/usr/bin/env python3
"""Writes vertex_scenarios.json (next to this file) for provider_capture.py:
LiteLLM's vertex_ai/ Gemini route (e.g. "vertex_ai/gemini-2.5-flash")
authenticating with a service-account JSON passed as the `vertex_credentials`
kwarg (a JSON string). Replies follow Vertex AI's public generateContent /
streamGenerateContent (?alt=sse) reference and google.rpc error shapes;
nothing here encodes what LiteLLM does with them.

Scenarios use "api_base": null, so LiteLLM builds Google's own URLs
(https://{location}-aiplatform.googleapis.com/v1/projects/...; the token
exchange at https://oauth2.googleapis.com/token) and provider_capture.py
reroutes both to its capture server; "api_key": null (vertex_ai/ does not use
it). Needs google-auth in the oracle venv (scripts/litellm-env.sh pins it).

    python3 tests/differential/make_vertex_scenarios.py
    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/provider_capture.py \\
        < tests/differential/vertex_scenarios.json > /tmp/vertex-capture.json

TEST KEY: TEST_PRIVATE_KEY below is a throwaway 2048-bit RSA key generated once
for these tests (cryptography's rsa.generate_private_key(65537, 2048), PKCS#8
PEM, as Google's key files have it). It belongs to no Google account and
grants nothing; it is here only so google-auth can sign a real RS256
assertion that the capture server can verify. private_key_id is the SHA-1 of
its public key (DER SubjectPublicKeyInfo).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# TEST KEY -- not a real credential (see the module docstring).
TEST_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDNP49xEors6lb1
a7hCbbB3Oa/BUtVmzP3rO09GOOVzdOhPPMVYxFfN2PkH6Pjp2C8fzNlZ7NifWnz1
/VraRjSYaEvZz/LkfajiRcfXgl1VtsD4TrQj7SwDJVG88bGP0N//Gj5ODu1fZSwQ
lZ7k4+kHqRqgtcuC29dRnkt/Z5WZ4epGCw+tdbBlbSwYkzqoluDOyaTzglTvM+Ia
YXuEzKPqi0+LQfO0e7+xYg+QbJ3qPvuoOL/or1Ja6zX+GiraLVmgmhmSzJvzaj0K
hPXtqhbaklW3NMZkx+iMb87AClADqRdlYzNJPtR1+spP1Y9pmUrfY8DTo/nsSvWJ
WOlN3kN/AgMBAAECggEADBbz2vJ/XQAneh8YhE7HIU0aq9w2T+7zZl4HR99SSKNr
8aSACiZnXThfRtazhSN9dxwoxPHwbcaCbANUTPbr4mEcvEPSKCC5iDmzBHmcOzaS
4q1qhMYG6Ywfs4dX10OAhjUkbJJwuF9Fu35ZeylsXWdzdy1UkCzLeVyStuD1M2vV
RsqJpQRF8jVy1OPkBwUF9Nm8ZJZgHRdyxQU9spe6NFcQTBY70TR1lR5PxeapoZ2p
Uh9K0ubs20tNgdcSMWlWDU9q41nFjLDXUZVMeRzU1UFvzxh7h2/CkVnl7mu3jeWH
/Pza4qfKv7P+Xk1dYViCr4rEsdm1ce8Wzv6PBp8cAQKBgQDx8mVp4J+yvQmzwh/g
ymo8zA/oHOpx/DWo3qrz/yZvxqVnqvPelZUhHpYOo51IShXXHe1WdcTqqZ82S3/j
SYHqjm1etC77i8/fnmGer+9vZFh9B34Wz+RWEl8+mTQwwD6QSRpUQfstSMqYLEYR
nXvKyZbO6Nupu9K20QNILETcAQKBgQDZK3p8nT8NH7YhYagSOCKrFpuMNQXbwY6T
jRvRwrzqyJU60i15gDVAUeFl0vo4DNHyqjtGLq+30i3YRRipnVc6ZlGP4QTfw/0R
tS1seYvCTrQdohD673AK6agz3yHbVAd+CYVd1KdAvQZpd3mFpE5puf0uTaVxzVhD
ul9gZREffwKBgQDsvN+ab94TSIE70NDcZXL6NjnCRrjn+36N1AK2aIy1hkvGWjHx
M7AODh2KCXIWj9c6+9+FYArkCkDtIYbrYLusRNyjc+8c1zr5dcHTQhcoialD/ZbU
v2qPBb8IQ2Qb55/QEpeepkkdkEIcEAYnqk68p+/WWWbGeC/ADlgFwLtIAQKBgDtv
OsaAApGE7EOWhnj2BAbu2QM2P7Q09OBM7iAqO6nF25GNlAR8ohZIUneblf9hAtR2
4mICxPR6ATH/NxC0jvrcpdXKr5rN+KSwAQ5+9VDoWUMC58LFZNSXvgD0QD/Wb3Z/
BJD5cgy1rtuOZyO8I/mrfS7+8RiEKnPevduTzWvhAoGAKrP0IgPuApHITeUhG6SR
c8l1JHlyetPY08wS9irNkdpWwV/OE+EjyEPff8aW3kmLmo/6M1WLvzuZObM5QGm3
ahzEI6Nx4x5lgAGt36bmOYWVzzmlqVEl4JcsTX0GReI48YBoTyYXd0+vThPWP7L9
jelo61+f4QiiYsbz6FfEVuk=
-----END PRIVATE KEY-----
"""
TEST_PRIVATE_KEY_ID = "10182d79f1371d0bb9adef53086d8bc41e6f0976"
PROJECT = "lmrelay-test-project"
CLIENT_EMAIL = "lmrelay-test-sa@lmrelay-test-project.iam.gserviceaccount.com"


def service_account(**over):
    """A service-account key file's fields (the shape `gcloud iam
    service-accounts keys create` writes), with the test key."""
    d = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": TEST_PRIVATE_KEY_ID,
        "private_key": TEST_PRIVATE_KEY,
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                "lmrelay-test-sa%40lmrelay-test-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
        "_comment": "TEST KEY for lmrelay's differential tests; not a real Google credential",
    }
    d.update(over)
    return d


CREDS = json.dumps(service_account())


def scenarios():
    M = "vertex_ai/gemini-2.5-flash"
    CREATE = "2026-03-22T06:35:00.123456Z"

    def usage(p, c, **kw):
        u = {"promptTokenCount": p, "candidatesTokenCount": c, "totalTokenCount": p + c + kw.pop("extra", 0),
             "trafficType": "ON_DEMAND",
             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": p}],
             "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": c}]}
        u.update(kw)
        return u

    def reply(parts, p=8, c=3, finish="STOP", rid="vtx-resp-1", **cand):
        cd = {"content": {"role": "model", "parts": parts}, "finishReason": finish}
        cd.update(cand)
        return {"json": {"candidates": [cd], "usageMetadata": usage(p, c), "modelVersion": "gemini-2.5-flash",
                         "createTime": CREATE, "responseId": rid}}

    def text_reply(text, **kw):
        return reply([{"text": text}], **kw)

    def err(code, status, message, details=None, headers=None):
        e = {"error": {"code": code, "message": message, "status": status}}
        if details:
            e["error"]["details"] = details
        r = {"status": code, "json": e}
        if headers:
            r["headers"] = headers
        return r

    def chunk(parts, finish=None, usage_md=None, rid="vtx-stream-1"):
        cd = {"content": {"role": "model", "parts": parts}}
        if finish:
            cd["finishReason"] = finish
        d = {"candidates": [cd], "modelVersion": "gemini-2.5-flash", "createTime": CREATE, "responseId": rid}
        if usage_md:
            d["usageMetadata"] = usage_md
        return d

    WEATHER_TOOL = {"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather for a city", "strict": True,
        "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object", "additionalProperties": False,
            "properties": {
                "city": {"type": "string", "description": "City name", "minLength": 1},
                "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
                "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 7},
            },
            "required": ["city"]}}}
    TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "Current time",
                                                  "parameters": {"type": "object", "properties": {}}}}
    LOOKUP_TOOL = {"type": "function", "function": {
        "name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}

    U = lambda t: {"role": "user", "content": t}  # noqa: E731
    S = []

    def add(name, request, rep, model=M, **kw):
        req = {"vertex_credentials": CREDS}
        req.update(request)
        d = {"name": name, "model": model, "request": req, "reply": rep, "api_base": None, "api_key": None}
        d.update(kw)
        S.append(d)

    # ---- basics: project from the credentials JSON, default location
    add("plain", {"messages": [U("Say hello")]}, text_reply("Hello!"),
        note="no vertex_project/vertex_location: project_id from the key, us-central1")
    add("system", {"messages": [{"role": "system", "content": "You are terse."}, U("Hi")]}, text_reply("Hi."))
    add("multi_turn", {"messages": [
        {"role": "system", "content": "Answer in French."},
        U("Hi"), {"role": "assistant", "content": "Bonjour"},
        U("What's 2+2?"), U("Just the number."),
        {"role": "assistant", "content": "4"}, U("Thanks")]}, text_reply("De rien"))
    add("generation_params", {"messages": [U("Count")], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50,
                              "stop": ["END"], "seed": 7, "presence_penalty": 0.5, "frequency_penalty": 0.25},
        text_reply("1 2 3"), note="vertex_ai/ accepts seed (gemini/ raises UnsupportedParamsError)")
    # ---- tools
    add("tools", {"messages": [U("Weather in Paris and the time?")], "tools": [WEATHER_TOOL, TIME_TOOL]},
        reply([{"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "c"}}},
               {"functionCall": {"name": "get_time", "args": {}}}], p=40, c=12, rid="vtx-tc-1"))
    add("tool_choice_required", {"messages": [U("Weather?")], "tools": [WEATHER_TOOL], "tool_choice": "required"},
        reply([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}], p=30, c=6))
    add("tool_choice_named", {"messages": [U("Weather in Rome")], "tools": [TIME_TOOL, LOOKUP_TOOL],
                              "tool_choice": {"type": "function", "function": {"name": "lookup"}}},
        reply([{"text": "Let me look that up."},
               {"functionCall": {"name": "lookup", "args": {"q": "Rome weather"}}, "thoughtSignature": "c2lnbmF0dXJl"}],
              p=20, c=5))
    add("tool_choice_none", {"messages": [U("Hi")], "tools": [TIME_TOOL], "tool_choice": "none"}, text_reply("Hi"))
    add("tool_round_trip", {"messages": [
        U("Weather in Paris and the time?"),
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\": 21}"},
        {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
        U("Summarise.")], "tools": [WEATHER_TOOL, TIME_TOOL]}, text_reply("21C and noon."))
    # ---- structured output
    add("response_format_json_schema", {"messages": [U("Give a person")], "response_format": {
        "type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": ["string", "null"]}},
            "required": ["name", "age", "email"]}}}}, text_reply('{"name":"Ann","age":30,"email":null}'))
    add("response_format_json_object", {"messages": [U("JSON please")], "response_format": {"type": "json_object"}},
        text_reply('{"a":1}'))
    # ---- streaming (streamGenerateContent?alt=sse)
    add("stream_text", {"messages": [U("Say hello")], "stream": True},
        {"sse": [chunk([{"text": "Hel"}]), chunk([{"text": "lo "}]),
                 chunk([{"text": "world"}], "STOP", usage(3, 3))]})
    add("stream_include_usage", {"messages": [U("Say hello")], "stream": True, "stream_options": {"include_usage": True}},
        {"sse": [chunk([{"text": "Hel"}], usage_md={"promptTokenCount": 3, "totalTokenCount": 3, "trafficType": "ON_DEMAND"}),
                 chunk([{"text": "lo!"}], "STOP", usage(3, 2))]})
    add("stream_tool_call", {"messages": [U("Weather in Paris and the time?")], "tools": [WEATHER_TOOL, TIME_TOOL], "stream": True},
        {"sse": [chunk([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                        {"functionCall": {"name": "get_time", "args": {}}}], rid="vtx-stc"),
                 chunk([{"text": ""}], "STOP", usage(30, 10), rid="vtx-stc")]})
    add("stream_async_httpx", {"messages": [U("Say hello")], "stream": True},
        {"sse": [chunk([{"text": "Hi"}]), chunk([{"text": "!"}], "STOP", usage(3, 2))]},
        litellm_settings={"disable_aiohttp_transport": True}, **{"async": True},
        note="acompletion; httpx transport so the default URL is rerouted; token via asyncify(requests)")
    # ---- safety
    add("safety_block", {"messages": [U("Tell me something bad")]},
        {"json": {"candidates": [{"finishReason": "SAFETY", "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "probabilityScore": 0.93,
             "severity": "HARM_SEVERITY_HIGH", "severityScore": 0.88, "blocked": True},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
            "usageMetadata": {"promptTokenCount": 6, "totalTokenCount": 6, "trafficType": "ON_DEMAND"},
            "modelVersion": "gemini-2.5-flash", "createTime": CREATE, "responseId": "vtx-sb"}})
    add("prompt_blocked", {"messages": [U("bad prompt")]},
        {"json": {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "blockReasonMessage": "Prompt was blocked due to prohibited content."},
                  "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4, "trafficType": "ON_DEMAND"},
                  "modelVersion": "gemini-2.5-flash", "createTime": CREATE, "responseId": "vtx-pb"}})
    add("stream_safety_mid_stream", {"messages": [U("Tell me something")], "stream": True},
        {"sse": [chunk([{"text": "Well, "}]),
                 {"candidates": [{"finishReason": "SAFETY", "safetyRatings": [
                     {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}],
                  "usageMetadata": usage(5, 2), "modelVersion": "gemini-2.5-flash", "createTime": CREATE, "responseId": "vtx-stream-1"}]})
    # ---- errors (google.rpc.Status in {"error": ...})
    RES = f"//aiplatform.googleapis.com/projects/{PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    add("error_400_invalid_argument", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "Request contains an invalid argument."))
    add("error_400_context_window", {"messages": [U("x")]},
        err(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."))
    add("error_401_unauthenticated", {"messages": [U("x")]},
        err(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
              "metadata": {"service": "aiplatform.googleapis.com", "method": "google.cloud.aiplatform.v1.PredictionService.GenerateContent"}}]),
        error_details=True)
    add("error_403_permission_denied", {"messages": [U("x")]},
        err(403, "PERMISSION_DENIED", f"Permission 'aiplatform.endpoints.predict' denied on resource '{RES}' (or it may not exist).",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": "aiplatform.googleapis.com",
              "metadata": {"permission": "aiplatform.endpoints.predict", "resource": RES.lstrip("/")}}]))
    add("error_404_model_not_found", {"messages": [U("x")]},
        err(404, "NOT_FOUND", f"Publisher Model `projects/{PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash` "
            "was not found or your project does not have access to it. Please ensure you are using a valid model version."))
    add("error_429_resource_exhausted", {"messages": [U("x")]},
        err(429, "RESOURCE_EXHAUSTED", "Resource exhausted. Please try again later. Please refer to "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
            headers={"Retry-After": "7"}), error_details=True)
    add("error_500_internal", {"messages": [U("x")]}, err(500, "INTERNAL", "Internal error encountered."))
    add("error_503_unavailable", {"messages": [U("x")]}, err(503, "UNAVAILABLE", "The service is currently unavailable."))
    add("stream_error_429", {"messages": [U("x")], "stream": True},
        err(429, "RESOURCE_EXHAUSTED", "Resource exhausted. Please try again later."))
    add("stream_error_400_list_body", {"messages": [U("x")], "stream": True},
        {"status": 400, "json": [{"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}]},
        note="streamGenerateContent errors without alt=sse come as a JSON array; what if one arrives here")
    # ---- locations and projects
    add("location_global", {"messages": [U("Hi")], "vertex_location": "global"}, text_reply("Hi"),
        note="global: host aiplatform.googleapis.com (no region prefix), locations/global")
    add("location_europe_west4", {"messages": [U("Hi")], "vertex_location": "europe-west4"}, text_reply("Hi"))
    add("location_global_stream", {"messages": [U("Hi")], "vertex_location": "global", "stream": True},
        {"sse": [chunk([{"text": "Hi"}], "STOP", usage(1, 1))]})
    add("project_from_kwarg", {"messages": [U("Hi")], "vertex_project": "other-project-42",
                               "vertex_location": "us-east5"}, text_reply("Hi"),
        note="vertex_project overrides the key's project_id in the URL; the token is the same")
    add("project_and_location_from_env", {"messages": [U("Hi")]}, text_reply("Hi"),
        env={"VERTEXAI_PROJECT": "env-project-7", "VERTEXAI_LOCATION": "asia-northeast1"})
    add("credentials_from_env", {"messages": [U("Hi")]}, text_reply("Hi"),
        env={"VERTEXAI_CREDENTIALS": CREDS}, note="VERTEXAI_CREDENTIALS env var instead of the kwarg")
    S[-1]["request"].pop("vertex_credentials")
    add("env_unprefixed_vertex_project_location", {"messages": [U("Hi")]}, text_reply("Hi"),
        env={"VERTEX_PROJECT": "unprefixed-project", "VERTEX_LOCATION": "europe-west1"},
        note="does the chat path read VERTEX_PROJECT / VERTEX_LOCATION (not only VERTEXAI_*)?")
    add("google_application_credentials_env", {"messages": [U("Hi")]}, text_reply("Hi"),
        files={"adc.json": CREDS}, env={"GOOGLE_APPLICATION_CREDENTIALS": "{{FILES}}/adc.json"},
        note="no vertex_credentials: google.auth.default() reads the key file named by GOOGLE_APPLICATION_CREDENTIALS")
    S[-1]["request"].pop("vertex_credentials")
    add("credentials_file_path", {"messages": [U("Hi")], "vertex_credentials": "{{FILES}}/sa.json"}, text_reply("Hi"),
        files={"sa.json": CREDS}, note="vertex_credentials may be a path to the key file")
    add("credentials_dict", {"messages": [U("Hi")], "vertex_credentials": service_account()}, text_reply("Hi"),
        note="a dict works too")
    add("quota_project_in_key_no_header", {"messages": [U("Hi")],
        "vertex_credentials": json.dumps(service_account(quota_project_id="billing-project-9"))}, text_reply("Hi"),
        note="quota_project_id in the key: is x-goog-user-project sent?")
    add("extra_headers_user_project", {"messages": [U("Hi")], "extra_headers": {"x-goog-user-project": "billing-project-9"}},
        text_reply("Hi"))
    add("token_cached_across_calls", {"messages": [U("Hi again")]}, text_reply("Hi"), keep_clients=True,
        note="same credentials and vertex_project as the previous scenario, cache kept: no second token exchange")
    add("token_exchange_invalid_grant", {"messages": [U("Hi")]}, text_reply("never sent"),
        token_reply={"status": 400, "json": {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}},
        note="token endpoint refuses the assertion: google-auth RefreshError, nothing sent to Vertex")
    add("custom_token_uri", {"messages": [U("Hi")],
        "vertex_credentials": json.dumps(service_account(token_uri="https://oauth2.example.test/sa-token"))}, text_reply("Hi"),
        note="the assertion is POSTed to the key's token_uri; its aud stays https://oauth2.googleapis.com/token")
    add("key_without_project_id", {"messages": [U("Hi")],
        "vertex_credentials": json.dumps({k: v for k, v in service_account().items() if k != "project_id"})},
        text_reply("never sent"), note="no project anywhere: the token is fetched, then 'Could not resolve project_id'")
    add("key_without_project_id_with_kwarg", {"messages": [U("Hi")], "vertex_project": "kwarg-project-1",
        "vertex_credentials": json.dumps({k: v for k, v in service_account().items() if k != "project_id"})},
        text_reply("Hi"))
    add("key_missing_token_uri", {"messages": [U("Hi")],
        "vertex_credentials": json.dumps({k: v for k, v in service_account().items() if k != "token_uri"})},
        text_reply("never sent"), note="google-auth refuses the key before any request")
    add("credentials_not_json", {"messages": [U("Hi")], "vertex_credentials": "not json"}, text_reply("never sent"))
    add("custom_api_base", {"messages": [U("Hi")]}, text_reply("Hi"), api_base="capture+/vertex-proxy",
        note="api_base given: URL is '{api_base}:generateContent' (a bare host gives an invalid port); "
             "the token is still fetched from the key's token_uri")
    add("custom_api_base_stream", {"messages": [U("Hi")], "stream": True},
        {"sse": [chunk([{"text": "Hi"}], "STOP", usage(1, 1))]}, api_base="capture+/vertex-proxy")
    # ---- body differences from gemini/ (AI Studio)
    PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    add("image_data_uri", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}}]}]}, text_reply("A pixel."))
    add("image_https_url", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/__asset/pixel.png"}}]}]}, text_reply("A pixel."),
        note="gemini/ downloads https images and inlines them; vertex_ai/ may pass a fileData URI")
    add("image_gcs_uri", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "gs://lmrelay-test-bucket/cat.jpg"}}]}]}, text_reply("A cat."))
    add("labels_param", {"messages": [U("Hi")], "labels": {"team": "relay", "env": "test"}}, text_reply("Hi"),
        note="'labels' go into the body for Vertex only (never for gemini/)")
    add("gemini3_model", {"messages": [U("Hi")]}, text_reply("Hi"), model="vertex_ai/gemini-3-pro-preview",
        note="AI Studio routes gemini-3 to v1alpha; Vertex?")
    return S


def main():
    S = scenarios()
    names = [s["name"] for s in S]
    assert len(names) == len(set(names)), "duplicate scenario names"
    path = os.path.join(HERE, "vertex_scenarios.json")
    with open(path, "w") as f:
        json.dump(S, f, indent=1)
        f.write("\n")
    print(f"{path}: {len(S)} scenarios")


if __name__ == "__main__":
    main()
