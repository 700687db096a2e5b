//! Byte-level helpers shared by the SDK's HTTP/1.1 client and the
//! gateway's HTTP/1 server: reading a socket into a connection's buffer
//! through one scratch buffer per thread, and writing decimal numbers.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpStream;

/// Bytes read from a socket at most per read.
pub const READ_SIZE: usize = 16 * 1024;

thread_local! {
    /// Where each read lands before it is appended to a connection's
    /// buffer: one per thread, so an idle connection keeps no fixed read
    /// buffer of its own.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_SIZE].into_boxed_slice());
}

/// Reads what `stream` has into `buf`; `Ok(0)` at its end.
pub fn poll_read_into(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let mut read = ReadBuf::new(&mut scratch[..]);
        ready!(Pin::new(stream).poll_read(cx, &mut read))?;
        buf.extend_from_slice(read.filled());
        Poll::Ready(Ok(read.filled().len()))
    })
}

/// Appends `n` in decimal.
pub fn put_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        // `n % 10` < 10.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_whole() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (65_536, "65536"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = b"x".to_vec();
            put_decimal(&mut out, n);
            assert_eq!(out, format!("x{text}").as_bytes());
        }
    }
}
