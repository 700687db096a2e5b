//! Frames that are ready together leave together: a stream adapter that
//! joins every frame already available into one write, and never waits for
//! more. An upstream that sends eight frames in one packet then costs one
//! write to the client instead of eight (as nginx reads and writes whole
//! buffers), while a trickling stream still goes out frame by frame.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::Stream;

/// The most bytes joined into one write.
const MAX_BATCH: usize = 64 * 1024;

/// Joins ready frames of `S`.
pub struct Coalesce<S, E> {
    inner: S,
    done: bool,
    /// An error met while joining, sent on the next poll.
    pending: Option<E>,
}

impl<S, E> Coalesce<S, E> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            done: false,
            pending: None,
        }
    }
}

impl<S, E> Stream for Coalesce<S, E>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(err) = self.pending.take() {
            return Poll::Ready(Some(Err(err)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        let first = match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        let mut batch: Option<BytesMut> = None;
        loop {
            let size = batch.as_ref().map_or(first.len(), BytesMut::len);
            if size >= MAX_BATCH {
                break;
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let joined = batch.get_or_insert_with(|| {
                        let mut b = BytesMut::with_capacity(first.len() + frame.len() + 256);
                        b.extend_from_slice(&first);
                        b
                    });
                    joined.extend_from_slice(&frame);
                }
                Poll::Ready(None) => {
                    self.done = true;
                    break;
                }
                // The error goes out on the next poll, after what is joined.
                Poll::Ready(Some(Err(err))) => {
                    self.pending = Some(err);
                    break;
                }
                Poll::Pending => break,
            }
        }
        Poll::Ready(Some(Ok(batch.map_or(first, BytesMut::freeze))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn ready_frames_join_and_waiting_frames_do_not() {
        let ready = futures::stream::iter(["a", "b", "c"].map(|s| Ok::<_, ()>(Bytes::from(s))));
        let joined: Vec<_> = Coalesce::new(ready).collect().await;
        assert_eq!(joined, vec![Ok(Bytes::from("abc"))]);

        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Bytes, ()>>();
        let mut stream = Coalesce::new(tokio_stream_from(rx));
        let _ = tx.send(Ok(Bytes::from("x")));
        assert_eq!(stream.next().await, Some(Ok(Bytes::from("x"))));
        let _ = tx.send(Ok(Bytes::from("y")));
        let _ = tx.send(Ok(Bytes::from("z")));
        assert_eq!(stream.next().await, Some(Ok(Bytes::from("yz"))));
        drop(tx);
        assert_eq!(stream.next().await, None);

        let failing =
            futures::stream::iter(vec![Ok(Bytes::from("a")), Err(7), Ok(Bytes::from("b"))]);
        let items: Vec<_> = Coalesce::new(failing).collect().await;
        assert_eq!(
            items,
            vec![Ok(Bytes::from("a")), Err(7), Ok(Bytes::from("b"))]
        );
    }

    fn tokio_stream_from(
        rx: tokio::sync::mpsc::UnboundedReceiver<Result<Bytes, ()>>,
    ) -> impl Stream<Item = Result<Bytes, ()>> + Unpin {
        Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}
