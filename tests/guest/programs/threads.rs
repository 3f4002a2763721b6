// threads: std::thread spawn and join, an mpsc channel, Arc<Mutex<_>>, a Condvar,
// thread::scope, an RwLock, atomics, thread names and a panicking thread. The output is
// deterministic so that it can be compared with a native run byte for byte.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

fn spawn_join() {
    let handles: Vec<_> = (0..8u64)
        .map(|i| thread::spawn(move || (1..=1000u64).map(|n| n * (i + 1)).sum::<u64>()))
        .collect();
    let sums: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("spawn/join: {:?}", sums);
}

fn channel() {
    let (tx, rx) = mpsc::channel();
    for id in 0..4 {
        let tx = tx.clone();
        thread::spawn(move || {
            for k in 0..25 {
                tx.send((id, k)).unwrap();
            }
        });
    }
    drop(tx);
    let mut per_sender = BTreeMap::new();
    let mut total = 0;
    for (id, k) in rx {
        *per_sender.entry(id).or_insert(0) += 1;
        total += k;
    }
    println!("mpsc: per sender {:?}, total {}", per_sender, total);

    let (stx, srx) = mpsc::sync_channel::<u32>(0);
    let producer = thread::spawn(move || {
        for i in 0..10 {
            stx.send(i).unwrap();
        }
    });
    let got: Vec<u32> = srx.iter().collect();
    producer.join().unwrap();
    println!("sync_channel(0): {:?}", got);
}

fn arc_mutex() {
    let counter = Arc::new(Mutex::new(0u64));
    let hits = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let counter = Arc::clone(&counter);
            let hits = Arc::clone(&hits);
            thread::spawn(move || {
                for _ in 0..1000 {
                    *counter.lock().unwrap() += 1;
                    hits.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    println!("Arc<Mutex>: {}, atomic: {}", *counter.lock().unwrap(), hits.load(Ordering::SeqCst));
}

fn condvar_barrier() {
    let pair = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let barrier = Arc::new(Barrier::new(5));
    let mut handles = Vec::new();
    for i in 0..5 {
        let pair = Arc::clone(&pair);
        let barrier = Arc::clone(&barrier);
        handles.push(thread::spawn(move || {
            barrier.wait();
            let (lock, cv) = &*pair;
            lock.lock().unwrap().push(i);
            cv.notify_all();
        }));
    }
    let (lock, cv) = &*pair;
    let guard = cv.wait_while(lock.lock().unwrap(), |v| v.len() < 5).unwrap();
    let mut seen = guard.clone();
    drop(guard);
    seen.sort();
    for h in handles {
        h.join().unwrap();
    }
    println!("condvar+barrier: {:?}", seen);
}

fn scoped() {
    let mut data = vec![1u64; 4000];
    let rw = RwLock::new(0u64);
    thread::scope(|s| {
        for (i, chunk) in data.chunks_mut(1000).enumerate() {
            let rw = &rw;
            s.spawn(move || {
                for x in chunk.iter_mut() {
                    *x *= i as u64 + 2;
                }
                *rw.write().unwrap() += chunk.iter().sum::<u64>();
            });
        }
    });
    let total: u64 = data.iter().sum();
    println!("scope: total {}, rwlock {}", total, *rw.read().unwrap());
}

fn names_sleep_panic() {
    let named = thread::Builder::new()
        .name("worker-7".into())
        .stack_size(256 * 1024)
        .spawn(|| thread::current().name().map(str::to_owned))
        .unwrap();
    println!("named thread: {:?}", named.join().unwrap());

    let start = Instant::now();
    let sleeper = thread::spawn(|| thread::sleep(Duration::from_millis(100)));
    sleeper.join().unwrap();
    println!("slept at least 100ms: {}", start.elapsed() >= Duration::from_millis(100));

    std::panic::set_hook(Box::new(|_| {}));
    let r = thread::spawn(|| panic!("boom")).join();
    println!("panicking thread joined with error: {}", r.is_err());
    println!("available_parallelism ok: {}", thread::available_parallelism().map(|n| n.get() >= 1).unwrap_or(false));
}

fn main() {
    spawn_join();
    channel();
    arc_mutex();
    condvar_barrier();
    scoped();
    names_sleep_panic();
    println!("done");
    std::process::exit(5);
}
