//! Grouping concurrent calls: calls that arrive while others are running queue up and run
//! together in one step on the server, each answered with exactly what it would get alone.
//!
//! The SQL stores group redemptions into one transaction, so one flush to disk acknowledges
//! many (`sql/group_commit.rs`); `RedisStore` groups them into one script call per slot, so
//! the server parses, dispatches and checks the slot's marker and rules once for many
//! (`redis/redeem.rs`). The queue is the same, and written here once:
//!
//! - a call that finds nothing running or waiting runs at once, in its caller's task, alone;
//! - a call that finds others running queues; if fewer than [`Grouping::lanes`] groups are
//!   running, it starts a task that takes what is queued (at most [`Grouping::most`]), runs it
//!   with [`Grouping::together`], and takes what queued meanwhile, until nothing is left;
//! - a queued call whose caller gave up (its deadline passed, its request was dropped) is not
//!   run at all: its caller has already been told that nothing is certain;
//! - a caller waits at most the store's deadline.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::Error;

/// A store whose calls of one kind can run grouped.
pub(crate) trait Grouping: Clone + Send + Sync + 'static {
    /// One call's arguments.
    type Call: Send + 'static;
    /// One call's answer.
    type Out: Send + 'static;

    /// The queue of this store's calls.
    fn queue(&self) -> &Queue<Self::Call, Self::Out>;

    /// How many groups may run at once (a lone call counts as one).
    fn lanes(&self) -> usize;

    /// The most calls one group takes.
    fn most(&self) -> usize;

    /// How long a queued call waits for its answer.
    fn deadline(&self) -> Duration;

    /// Runs one call alone.
    fn alone(&self, call: &Self::Call) -> impl Future<Output = Result<Self::Out, Error>> + Send;

    /// Runs a group (every caller still waiting) and answers each of them.
    fn together(
        &self,
        group: Vec<Waiting<Self::Call, Self::Out>>,
    ) -> impl Future<Output = ()> + Send;
}

/// Calls waiting for a group, and how many groups are running.
pub(crate) struct Queue<C, O> {
    state: Mutex<State<C, O>>,
}

impl<C, O> Default for Queue<C, O> {
    fn default() -> Self {
        Queue {
            state: Mutex::new(State {
                waiting: Vec::new(),
                running: 0,
            }),
        }
    }
}

struct State<C, O> {
    waiting: Vec<Waiting<C, O>>,
    /// Groups running (a lone call in its caller's task counts as one).
    running: usize,
}

/// A queued call and the way to its caller.
pub(crate) struct Waiting<C, O> {
    pub(crate) call: C,
    reply: oneshot::Sender<Result<O, Error>>,
}

impl<C, O> Waiting<C, O> {
    /// Hands the caller its answer (a caller that stopped waiting is not told).
    pub(crate) fn answer(self, outcome: Result<O, Error>) {
        let _ = self.reply.send(outcome);
    }
}

impl<C, O> Queue<C, O> {
    fn state(&self) -> std::sync::MutexGuard<'_, State<C, O>> {
        // The state is a queue and a count, consistent after every statement that touches it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `call` in the next group, within the store's deadline; at once, in this task, when
/// nothing else is waiting or running (no hop to another task for a lone call).
pub(crate) async fn grouped<G: Grouping>(store: &G, call: G::Call) -> Result<G::Out, Error> {
    // Groups run on Tokio (as the clients do); polled elsewhere, every call runs alone.
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return store.alone(&call).await;
    };
    let alone = {
        let mut state = store.queue().state();
        let idle = state.running == 0 && state.waiting.is_empty();
        if idle {
            state.running = 1;
        }
        idle
    };
    if alone {
        let leading = Leading(store);
        let outcome = store.alone(&call).await;
        drop(leading);
        return outcome;
    }
    let (reply, answer) = oneshot::channel();
    let start = {
        let mut state = store.queue().state();
        state.waiting.push(Waiting { call, reply });
        let start = state.running < store.lanes();
        if start {
            state.running += 1;
        }
        start
    };
    if start {
        spawn_drain(store, &runtime);
    }
    let deadline = store.deadline();
    match tokio::time::timeout(deadline, answer).await {
        Err(_) => Err(Error::StoreTimeout { after: deadline }),
        Ok(Err(_)) => Err(Error::StoreUnavailable {
            reason: "the grouped call stopped before answering".into(),
        }),
        Ok(Ok(outcome)) => outcome,
    }
}

/// Hands the calls that queued behind a lone call to a group task, or marks the store idle.
fn release<G: Grouping>(store: &G) {
    let mut state = store.queue().state();
    if state.waiting.is_empty() {
        state.running -= 1;
        return;
    }
    drop(state);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => spawn_drain(store, &runtime),
        // Dropped outside a runtime: the next call starts the group; until then the waiting
        // calls wait (within their deadline).
        Err(_) => store.queue().state().running -= 1,
    }
}

/// Runs [`drain`] in a task of its own: a caller that gives up (a timeout, a dropped request)
/// must not take the others' group with it.
fn spawn_drain<G: Grouping>(store: &G, runtime: &tokio::runtime::Handle) {
    let store = store.clone();
    runtime.spawn(async move { drain(&store).await });
}

/// Runs groups until none is waiting.
async fn drain<G: Grouping>(store: &G) {
    loop {
        let mut group: Vec<Waiting<G::Call, G::Out>> = {
            let mut state = store.queue().state();
            if state.waiting.is_empty() {
                state.running -= 1;
                return;
            }
            let n = state.waiting.len().min(store.most());
            state.waiting.drain(..n).collect()
        };
        group.retain(|w| !w.reply.is_closed());
        if !group.is_empty() {
            store.together(group).await;
        }
    }
}

/// A lone call running in its caller's task. However it ends — an answer, an error, the caller
/// dropping it — what queued meanwhile is handed on.
struct Leading<'a, G: Grouping>(&'a G);

impl<G: Grouping> Drop for Leading<'_, G> {
    fn drop(&mut self) {
        release(self.0);
    }
}
