//! SDK streams and deadlines against the in-repo mock provider
//! (tools/mock-provider): first-chunk, idle and connect timeouts, broken and
//! trickling streams, text completions, embeddings, the blocking API. Every
//! server here is the mock, not a real provider.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::time::{Duration, Instant};

use common::{chat, fast_client};
use futures::StreamExt;
use lmrelay::{Client, EmbeddingsRequest, ErrorKind, TextRequest};

#[tokio::test]
async fn mock_stream_idle_timeout_fires_between_chunks() {
    let mock = mock_provider::start().await.unwrap();
    let stream = fast_client()
        .completion_stream(
            chat(&mock.fault_url("stall_after=2")).idle_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let items: Vec<_> = stream.collect().await;
    let elapsed = started.elapsed();
    let (last, ok) = items.split_last().unwrap();
    assert_eq!(
        ok.len(),
        3,
        "role chunk and two content chunks before the stall"
    );
    assert!(ok.iter().all(Result::is_ok));
    let err = last.as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
}

#[tokio::test]
async fn mock_trickling_stream_within_idle_limit_completes() {
    let mock = mock_provider::start().await.unwrap();
    let url = mock.fault_url("chunk_ms=100,chunks=5");
    let requests = [
        chat(&url).idle_timeout(Duration::from_millis(600)),
        // Every limit at `Duration::MAX` ("none"): no deadline may overflow.
        chat(&url)
            .timeout(Duration::MAX)
            .first_chunk_timeout(Duration::MAX)
            .idle_timeout(Duration::MAX),
    ];
    for request in requests {
        let response = fast_client()
            .completion_stream(request)
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(response.content(), Some("Hello from the mock provider."));
    }
}

#[tokio::test]
async fn mock_stream_assembles_to_the_non_streamed_content_with_usage() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    for spec in ["reply=one_two_three", "reply=one_two_three,crlf"] {
        let plain = client
            .completion(chat(&mock.fault_url(spec)))
            .await
            .unwrap();
        let streamed = client
            .completion_stream(chat(&mock.fault_url(spec)).include_usage(true))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(streamed.content(), plain.content(), "{spec}");
        assert_eq!(streamed.choices[0].finish_reason.as_deref(), Some("stop"));
        assert_eq!(streamed.usage.unwrap().completion_tokens, 3);
    }
}

#[tokio::test]
async fn mock_broken_streams_end_with_the_right_error() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let cases = [
        ("cut_after=2", ErrorKind::APIConnection),
        ("abort_after=2", ErrorKind::APIConnection),
        ("midstream_error=2", ErrorKind::InternalServer),
        ("repeat=120", ErrorKind::InternalServer),
    ];
    for (spec, kind) in cases {
        let stream = client
            .completion_stream(chat(&mock.fault_url(spec)))
            .await
            .unwrap();
        let items: Vec<_> = stream.collect().await;
        let err = items.last().unwrap().as_ref().unwrap_err();
        assert_eq!(err.kind(), kind, "{spec}: {err}");
        assert!(items[..items.len() - 1].iter().all(Result::is_ok), "{spec}");
        assert_eq!(
            mock.attempts(spec),
            1,
            "{spec}: no retry after the first chunk"
        );
    }
}

#[tokio::test]
async fn mock_malformed_json_is_an_api_error() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let err = client
        .completion(chat(&mock.fault_url("malformed")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIError, "{err}");
    let err = client
        .completion_stream(chat(&mock.fault_url("malformed")))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIError, "{err}");
}

#[tokio::test]
async fn mock_text_completion_and_embeddings() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let text = client
        .text_completion(TextRequest::new("llamafile/m", "Once upon").api_base(mock.base_url()))
        .await
        .unwrap();
    assert_eq!(text.choices[0].text, "Hello from the mock provider.");
    let embeddings = client
        .embedding(
            EmbeddingsRequest::new("llamafile/m", vec!["a".to_owned(), "b".to_owned()])
                .api_base(mock.base_url()),
        )
        .await
        .unwrap();
    assert_eq!(embeddings.data.len(), 2);
    assert_eq!(embeddings.data[1].index, 1);
    assert_eq!(embeddings.data[0].embedding.len(), 8);
    assert_ne!(embeddings.data[0].embedding, embeddings.data[1].embedding);
}

#[test]
fn mock_blocking_api_matches_async() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(mock_provider::start()).unwrap();
    let base = mock.base_url();
    let reply = std::thread::spawn(move || {
        let response = lmrelay::blocking::completion(chat(&base)).unwrap();
        let chunks: Vec<_> = lmrelay::blocking::completion_stream(chat(&base))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (response, chunks)
    })
    .join()
    .unwrap();
    assert_eq!(reply.0.content(), Some("Hello from the mock provider."));
    let streamed: String = reply
        .1
        .iter()
        .filter_map(|c| c.choices.first()?.delta.content.clone())
        .collect();
    assert_eq!(streamed, "Hello from the mock provider.");
    let inside = runtime.block_on(async { lmrelay::blocking::completion(chat("http://x/v1")) });
    assert_eq!(
        inside.unwrap_err().kind(),
        ErrorKind::BadRequest,
        "refused inside a runtime"
    );
}

#[tokio::test]
async fn connect_timeout_fires_when_the_server_never_accepts() {
    // A loopback listener with a full accept queue that never accepts: the
    // kernel drops further SYNs, so connecting hangs until the timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let _listener = socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(stream);
        }
    }
    let client = Client::builder()
        .connect_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .completion(chat(&format!("http://{addr}/v1")).num_retries(0))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn mock_error_inside_a_200_is_an_error_streamed_or_not() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let err = client
        .completion(chat(&mock.fault_url("error_200")).num_retries(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
    assert_eq!(
        mock.attempts("error_200"),
        2,
        "a 503 inside the body is retried"
    );
    let err = client
        .completion_stream(chat(&mock.fault_url("error_200")).num_retries(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
}

#[tokio::test]
async fn mock_server_ignoring_stream_true_still_streams() {
    let mock = mock_provider::start().await.unwrap();
    let response = fast_client()
        .completion_stream(chat(&mock.fault_url("stream_as_json")))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(response.content(), Some("Hello from the mock provider."));
    assert_eq!(response.choices[0].finish_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn mock_raw_stream_keeps_each_chunk_and_breaks_like_the_typed_one() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let url = mock.fault_url("label=raw");
    let raw: Vec<lmrelay::RawChunk> = client
        .completion_stream_raw(chat(&url).include_usage(true))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    let direct = reqwest::Client::new()
        .post(format!("{url}/chat/completions"))
        .json(&serde_json::json!({"model": "mock-model", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "Say hello"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sent: Vec<&str> = direct
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .collect();
    let kept: Vec<&str> = raw.iter().map(lmrelay::RawChunk::json).collect();
    assert_eq!(kept, sent, "the mock's own chunks");
    assert!(raw.last().unwrap().usage().is_some());
    let typed: Vec<_> = client
        .completion_stream(chat(&url).include_usage(true))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    let parsed: Vec<_> = raw.iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!(parsed, typed);

    for (spec, kind) in [
        ("cut_after=2", ErrorKind::APIConnection),
        ("abort_after=2", ErrorKind::APIConnection),
        ("midstream_error=2", ErrorKind::InternalServer),
        ("repeat=120", ErrorKind::InternalServer),
        ("malformed", ErrorKind::APIError),
    ] {
        let items: Vec<_> = client
            .completion_stream_raw(chat(&mock.fault_url(spec)))
            .await
            .unwrap()
            .collect()
            .await;
        let err = items.last().unwrap().as_ref().unwrap_err();
        assert_eq!(err.kind(), kind, "{spec}: {err}");
    }
    let served_as_json: Vec<_> = client
        .completion_stream_raw(chat(&mock.fault_url("stream_as_json")))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(
        served_as_json[0].parse().unwrap().choices[0]
            .delta
            .content
            .as_deref(),
        Some("Hello from the mock provider.")
    );
}
