//! The server's shared resources, independent of the transport: one budget of bytes for
//! documents being received, checked and answered, and the check slots (with a smaller
//! pool for heavy documents). Any adapter (gRPC now, HTTP/JSON later) takes its share here
//! before it buffers a body and gives it back when its answer is sent or the call ends.

use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Why a share of the budget (or a check slot) could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Exhausted {
    /// The budget stayed full until the deadline, or the share is larger than the whole
    /// budget.
    #[error("the server's memory budget for documents is used up; retry later")]
    Budget,
    /// The deadline passed while waiting.
    #[error("the deadline passed while waiting for the server's resources")]
    Deadline,
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Closed,
}

/// One server-wide budget of bytes (a semaphore of bytes).
#[derive(Debug, Clone)]
pub struct Budget {
    bytes: Arc<Semaphore>,
    total: usize,
}

/// Largest share taken in one go (tokio's semaphores count `u32` permits per acquire).
const MAX_SHARE: usize = u32::MAX as usize;

impl Budget {
    /// A budget of `total` bytes (at least 1).
    pub fn new(total: usize) -> Self {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// The whole budget, in bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes not taken now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// A new, empty charge against this budget; whatever it takes is given back when the
    /// last clone of it is dropped.
    pub fn charge(&self) -> Charge {
        self.charge_within(None)
    }

    /// A new, empty charge against this budget and, when given, against `share` too (a
    /// connection's share of the server's budget, so that one connection cannot take it
    /// all).
    pub fn charge_within(&self, share: Option<&Budget>) -> Charge {
        Charge {
            budget: self.clone(),
            share: share.cloned(),
            held: Arc::new(Mutex::new(Held::default())),
        }
    }

    fn too_large(&self, bytes: usize) -> bool {
        bytes > self.total.min(MAX_SHARE)
    }

    fn try_acquire(&self, bytes: usize) -> Result<OwnedSemaphorePermit, Exhausted> {
        if self.too_large(bytes) {
            return Err(Exhausted::Budget);
        }
        self.bytes
            .clone()
            .try_acquire_many_owned(bytes as u32)
            .map_err(|error| match error {
                tokio::sync::TryAcquireError::Closed => Exhausted::Closed,
                tokio::sync::TryAcquireError::NoPermits => Exhausted::Budget,
            })
    }

    async fn acquire(
        &self,
        bytes: usize,
        deadline: Option<Instant>,
    ) -> Result<OwnedSemaphorePermit, Exhausted> {
        if self.too_large(bytes) {
            return Err(Exhausted::Budget);
        }
        let acquire = self.bytes.clone().acquire_many_owned(bytes as u32);
        match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, acquire)
                .await
                .map_err(|_| Exhausted::Budget)?,
            None => acquire.await,
        }
        .map_err(|_| Exhausted::Closed)
    }
}

/// The permits a charge holds: of the server's budget and of its connection's share.
#[derive(Debug, Default)]
struct Held {
    server: Option<OwnedSemaphorePermit>,
    share: Option<OwnedSemaphorePermit>,
}

fn merge(into: &mut Option<OwnedSemaphorePermit>, permit: OwnedSemaphorePermit) {
    match into.as_mut() {
        Some(have) => have.merge(permit),
        None => *into = Some(permit),
    }
}

/// What one call holds of the budget. Clones share the same holding, so the transport
/// (for the body and the answer) and the handler (for the check) add to one account, and
/// it is given back when the last of them lets go.
#[derive(Debug, Clone)]
pub struct Charge {
    budget: Budget,
    share: Option<Budget>,
    held: Arc<Mutex<Held>>,
}

impl Charge {
    /// Bytes this call holds of the server's budget.
    pub fn held(&self) -> usize {
        self.lock()
            .server
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, server: OwnedSemaphorePermit, share: Option<OwnedSemaphorePermit>) {
        let mut held = self.lock();
        merge(&mut held.server, server);
        if let Some(share) = share {
            merge(&mut held.share, share);
        }
    }

    /// Takes `bytes` more without waiting.
    pub fn try_take(&self, bytes: usize) -> Result<(), Exhausted> {
        if bytes == 0 {
            return Ok(());
        }
        let share = match &self.share {
            Some(share) => Some(share.try_acquire(bytes)?),
            None => None,
        };
        // On failure the connection's share goes back with `share`.
        let server = self.budget.try_acquire(bytes)?;
        self.add(server, share);
        Ok(())
    }

    /// Takes `bytes` more, waiting until `deadline` (if any) for other calls to give some
    /// back. Waiting past the deadline is [`Exhausted::Budget`]: the server (or this
    /// connection's share of it) was full.
    pub async fn take(&self, bytes: usize, deadline: Option<Instant>) -> Result<(), Exhausted> {
        if bytes == 0 {
            return Ok(());
        }
        let share = match &self.share {
            Some(share) => Some(share.acquire(bytes, deadline).await?),
            None => None,
        };
        let server = self.budget.acquire(bytes, deadline).await?;
        self.add(server, share);
        Ok(())
    }

    /// Gives back everything held now (the charge can take again later).
    pub fn release(&self) {
        let mut held = self.lock();
        held.server.take();
        held.share.take();
    }
}

/// The check slots: `all` checks at once, of which at most `heavy` for documents of
/// `heavy_bytes` or more, so that heavy documents never take every slot and small ones
/// keep their latency while heavy ones run.
#[derive(Debug, Clone)]
pub struct Slots {
    all: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    heavy_bytes: usize,
}

/// A check slot, held until the check ends.
#[derive(Debug)]
pub struct Slot {
    _heavy: Option<OwnedSemaphorePermit>,
    _slot: OwnedSemaphorePermit,
}

impl Slots {
    /// `all` slots (at least 1), `heavy` of them (at least 1, at most `all - 1` when
    /// `all` > 1) for documents of `heavy_bytes` or more.
    pub fn new(all: usize, heavy: usize, heavy_bytes: usize) -> Self {
        let all = all.max(1);
        let heavy = heavy.clamp(1, all.saturating_sub(1).max(1));
        Self {
            all: Arc::new(Semaphore::new(all)),
            heavy: Arc::new(Semaphore::new(heavy)),
            heavy_bytes: heavy_bytes.max(1),
        }
    }

    /// Whether a document of `bytes` is heavy.
    pub fn is_heavy(&self, bytes: usize) -> bool {
        bytes >= self.heavy_bytes
    }

    /// A slot for a document of `bytes`, waiting until `deadline` (if any).
    pub async fn acquire(
        &self,
        bytes: usize,
        deadline: Option<Instant>,
    ) -> Result<Slot, Exhausted> {
        let wait = async {
            // The heavy pool first: a heavy document waiting for its pool holds no
            // general slot a small one could use.
            let heavy = if self.is_heavy(bytes) {
                Some(self.heavy.clone().acquire_owned().await?)
            } else {
                None
            };
            let slot = self.all.clone().acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>(Slot {
                _heavy: heavy,
                _slot: slot,
            })
        };
        match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, wait)
                .await
                .map_err(|_| Exhausted::Deadline)?,
            None => wait.await,
        }
        .map_err(|_| Exhausted::Closed)
    }

    /// Closes the slots: waiting checks give up.
    pub fn close(&self) {
        self.all.close();
        self.heavy.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_charge_holds_its_bytes_until_its_last_clone_goes() {
        let budget = Budget::new(100);
        let charge = budget.charge();
        charge.try_take(60).unwrap();
        let clone = charge.clone();
        clone.try_take(30).unwrap();
        assert_eq!(budget.available(), 10);
        assert_eq!(charge.try_take(20), Err(Exhausted::Budget));
        drop(charge);
        assert_eq!(budget.available(), 10);
        drop(clone);
        assert_eq!(budget.available(), 100);
        assert_eq!(budget.charge().try_take(101), Err(Exhausted::Budget));
    }

    #[tokio::test]
    async fn a_connection_takes_no_more_than_its_share() {
        let budget = Budget::new(100);
        let share = Budget::new(40);
        let a = budget.charge_within(Some(&share));
        let b = budget.charge_within(Some(&share));
        a.try_take(30).unwrap();
        assert_eq!(b.try_take(20), Err(Exhausted::Budget));
        // The failed attempt gave its share back.
        b.try_take(10).unwrap();
        // Another connection still gets the rest of the server's budget.
        budget.charge().try_take(60).unwrap();
        drop((a, b));
        assert_eq!(budget.available(), 100);
        assert_eq!(share.available(), 40);
    }

    #[tokio::test]
    async fn take_waits_within_its_deadline() {
        let budget = Budget::new(10);
        let holder = budget.charge();
        holder.try_take(10).unwrap();
        let waiting = budget.charge();
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(waiting.take(5, Some(soon)).await, Err(Exhausted::Budget));
        let later = Instant::now() + Duration::from_secs(5);
        let (taken, ()) = tokio::join!(waiting.take(5, Some(later)), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            holder.release();
        });
        assert_eq!(taken, Ok(()));
        assert_eq!(waiting.held(), 5);
    }

    #[tokio::test]
    async fn heavy_documents_leave_slots_for_light_ones() {
        let slots = Slots::new(4, 1, 1000);
        let _heavy = slots.acquire(5000, None).await.unwrap();
        let soon = Instant::now() + Duration::from_millis(20);
        // A second heavy one waits for the heavy pool...
        assert_eq!(
            slots.acquire(5000, Some(soon)).await.err(),
            Some(Exhausted::Deadline)
        );
        // ...while light ones get the other slots at once.
        let _a = slots.acquire(10, None).await.unwrap();
        let _b = slots.acquire(10, None).await.unwrap();
        let _c = slots.acquire(10, None).await.unwrap();
    }
}
