//! Spend logs and key spend, written in batches by one background task:
//! every second or every 256 rows, whichever comes first, and once more on
//! shutdown so nothing is lost. A failed write is kept and retried with
//! the next batch (at most 100,000 rows are held; past that the oldest are
//! dropped and counted).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::{mpsc, oneshot};

use crate::store::{SpendLog, Store};

const BATCH: usize = 256;
const INTERVAL: Duration = Duration::from_secs(1);
const MAX_PENDING: usize = 100_000;

enum Event {
    Row(Box<SpendLog>),
    Flush(oneshot::Sender<()>),
}

/// The handle that queues rows for the writer task.
#[derive(Debug, Clone)]
pub struct SpendWriter {
    tx: mpsc::UnboundedSender<Event>,
    dropped: Arc<AtomicU64>,
    failed_writes: Arc<AtomicU64>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Event")
    }
}

impl SpendWriter {
    /// Starts the writer task over `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let failed_writes = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(
            store,
            rx,
            Arc::clone(&dropped),
            Arc::clone(&failed_writes),
        ));
        Self {
            tx,
            dropped,
            failed_writes,
        }
    }

    /// Queues one row (never blocks; safe from `Drop`).
    pub fn record(&self, row: SpendLog) {
        let _ = self.tx.send(Event::Row(Box::new(row)));
    }

    /// Writes everything queued so far; returns once it is stored (or the
    /// write failed and was kept for the next attempt).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Event::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Rows dropped because the store stayed down past the pending limit.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Batch writes that failed (and were retried).
    pub fn failed_writes(&self) -> u64 {
        self.failed_writes.load(Ordering::Relaxed)
    }
}

async fn write(
    store: &dyn Store,
    pending: &mut Vec<SpendLog>,
    dropped: &AtomicU64,
    failed: &AtomicU64,
) {
    if pending.is_empty() {
        return;
    }
    let mut spend: HashMap<&str, Decimal> = HashMap::new();
    for row in pending
        .iter()
        .filter(|r| !r.api_key.is_empty() && !r.spend.is_zero())
    {
        *spend.entry(row.api_key.as_str()).or_default() += row.spend;
    }
    let deltas: Vec<(String, Decimal)> =
        spend.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let logs = store.insert_spend_logs(pending).await;
    let keys = if logs.is_ok() {
        store.add_spend(&deltas).await
    } else {
        Ok(())
    };
    if logs.is_ok() && keys.is_ok() {
        pending.clear();
        return;
    }
    failed.fetch_add(1, Ordering::Relaxed);
    if logs.is_ok() {
        // The rows are stored; only the keys' saved totals missed this batch
        // (the totals in memory, which enforce budgets, are right). Retrying
        // the rows would double-count nothing but could add spend twice, so
        // the failure is counted and the batch is done.
        pending.clear();
        return;
    }
    if pending.len() > MAX_PENDING {
        let excess = pending.len() - MAX_PENDING;
        pending.drain(..excess);
        dropped.fetch_add(excess as u64, Ordering::Relaxed);
    }
}

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::UnboundedReceiver<Event>,
    dropped: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let mut pending: Vec<SpendLog> = Vec::new();
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(Event::Row(row)) => {
                    pending.push(*row);
                    if pending.len() >= BATCH {
                        write(store.as_ref(), &mut pending, &dropped, &failed).await;
                    }
                }
                Some(Event::Flush(done)) => {
                    while let Ok(event) = rx.try_recv() {
                        match event {
                            Event::Row(row) => pending.push(*row),
                            Event::Flush(other) => { let _ = other.send(()); }
                        }
                    }
                    write(store.as_ref(), &mut pending, &dropped, &failed).await;
                    let _ = done.send(());
                }
                None => {
                    write(store.as_ref(), &mut pending, &dropped, &failed).await;
                    return;
                }
            },
            _ = tick.tick() => write(store.as_ref(), &mut pending, &dropped, &failed).await,
        }
    }
}
