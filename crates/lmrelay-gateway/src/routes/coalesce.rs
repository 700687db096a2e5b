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
/// Room taken at once when a second frame joins a batch: a few frames'
/// worth, so frames are not copied again as the buffer grows. A batch of
/// one frame takes only its size: a trickling stream, which sends each
/// frame alone, then holds no spare room while it waits.
const BATCH_ROOM: usize = 4 * 1024;

/// Something [`Coalesce`] joins: it writes itself at the end of the batch.
pub trait Frame {
    /// Its length in bytes.
    fn len(&self) -> usize;
    /// Appends its bytes to `batch`.
    fn write_into(&self, batch: &mut BytesMut);
}

impl Frame for Bytes {
    fn len(&self) -> usize {
        Bytes::len(self)
    }
    fn write_into(&self, batch: &mut BytesMut) {
        batch.extend_from_slice(self);
    }
}
/// Turns given to the runtime, after a frame, before the batch is sent.
const MAX_YIELDS: u8 = 4;

/// Joins ready frames of `S`.
pub struct Coalesce<S, E> {
    inner: S,
    done: bool,
    /// An error met while joining, sent after what was joined.
    pending: Option<E>,
    /// Frames joined so far, not yet sent.
    batch: BytesMut,
    /// Turns given to the runtime since the last frame arrived.
    yielded: u8,
}

impl<S, E> Coalesce<S, E> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            done: false,
            pending: None,
            batch: BytesMut::new(),
            yielded: 0,
        }
    }

    fn take(&mut self) -> Bytes {
        self.yielded = 0;
        self.batch.split().freeze()
    }
}

impl<S, F, E> Stream for Coalesce<S, E>
where
    S: Stream<Item = Result<F, E>> + Unpin,
    F: Frame,
    E: Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(err) = self.pending.take() {
            return Poll::Ready(Some(Err(err)));
        }
        loop {
            if self.done {
                return Poll::Ready((!self.batch.is_empty()).then(|| Ok(self.take())));
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let needed = frame.len();
                    if self.batch.capacity() - self.batch.len() < needed {
                        let room = if self.batch.is_empty() {
                            needed
                        } else {
                            needed.max(BATCH_ROOM)
                        };
                        self.batch.reserve(room);
                    }
                    frame.write_into(&mut self.batch);
                    self.yielded = 0;
                    if self.batch.len() >= MAX_BATCH {
                        return Poll::Ready(Some(Ok(self.take())));
                    }
                }
                Poll::Ready(None) => self.done = true,
                Poll::Ready(Some(Err(err))) => {
                    if self.batch.is_empty() {
                        return Poll::Ready(Some(Err(err)));
                    }
                    // The error goes out on the next poll, after what is joined.
                    self.pending = Some(err);
                    return Poll::Ready(Some(Ok(self.take())));
                }
                Poll::Pending if self.batch.is_empty() => return Poll::Pending,
                Poll::Pending if self.yielded < MAX_YIELDS => {
                    // Give the runtime a turn: an HTTP client hands over one
                    // body chunk per request for more, so frames already
                    // received arrive only after the task that reads the
                    // socket has run (two turns per chunk with reqwest, measured).
                    self.yielded += 1;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Pending => return Poll::Ready(Some(Ok(self.take()))),
            }
        }
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

    /// A frame that writes itself with a prefix (as a chat chunk does).
    struct Prefixed(&'static str);

    impl Frame for Prefixed {
        fn len(&self) -> usize {
            self.0.len() + 2
        }
        fn write_into(&self, batch: &mut BytesMut) {
            batch.extend_from_slice(b"> ");
            batch.extend_from_slice(self.0.as_bytes());
        }
    }

    #[tokio::test]
    async fn frames_write_themselves_into_the_batch() {
        let long = "x".repeat(BATCH_ROOM * 2);
        let long: &'static str = Box::leak(long.into_boxed_str());
        let ready =
            futures::stream::iter([Prefixed("a"), Prefixed(long), Prefixed("b")].map(Ok::<_, ()>));
        let joined: Vec<_> = Coalesce::new(ready).collect().await;
        assert_eq!(joined, vec![Ok(Bytes::from(format!("> a> {long}> b")))]);
    }

    fn tokio_stream_from(
        rx: tokio::sync::mpsc::UnboundedReceiver<Result<Bytes, ()>>,
    ) -> impl Stream<Item = Result<Bytes, ()>> + Unpin {
        Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}
