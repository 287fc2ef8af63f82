//! Response bodies written by a task as it reads: sent chunk by chunk as
//! they are written (HTTP/1.1 chunked), with at most [`CHUNKS_AHEAD`]
//! chunks waiting for a slow browser, so a download of any size takes the
//! same memory. A browser that goes away ends the task at its next chunk.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use hyper::body::Frame;
use tokio::sync::mpsc;

/// Chunks written ahead of what the browser has taken.
pub const CHUNKS_AHEAD: usize = 4;

/// Where the task writes its chunks; a failed send means the browser is gone.
pub type ChunkSender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A body fed by the sender this returns: the body ends when the sender is
/// dropped, and is cut short (the browser sees an incomplete download) when
/// the task sends an error.
pub fn channel_body() -> (ChunkSender, Body) {
    let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
    (tx, Body::new(ChannelBody(rx)))
}

struct ChannelBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }
}
