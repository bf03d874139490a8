//! What both benches share: polling a future that never waits, and paired timing.
#![allow(dead_code, unreachable_pub)]

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Polls a future that completes without waiting (static keys, a no-op service) to its end.
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("static keys and a no-op service never wait"),
    }
}

/// Rounds in a paired measurement.
pub const ROUNDS: usize = 41;

/// Times `a` and `b` in alternating blocks of about 20 ms of both together (which side goes first
/// alternates too, so neither always runs on a warmer cache): per round, the seconds per call of
/// each, and the block size. Both sides see the same machine noise, which two separate criterion
/// runs do not.
pub fn paired_rounds(mut a: impl FnMut(), mut b: impl FnMut()) -> (Vec<(f64, f64)>, u32) {
    let block = {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(20) {
            a();
            b();
            n += 1;
        }
        n.max(1)
    };
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..block {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(block)
    };
    let rounds = (0..ROUNDS)
        .map(|round| {
            if round % 2 == 0 {
                let ta = time(&mut a);
                (ta, time(&mut b))
            } else {
                let tb = time(&mut b);
                (time(&mut a), tb)
            }
        })
        .collect();
    (rounds, block)
}
