// goroutines: channels, sync.WaitGroup, a mutex, time.Sleep, runtime.GOMAXPROCS and many
// goroutines. Every line it prints is deterministic, so its output can be compared with a
// native run byte for byte.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// pipeline: a producer, three squaring workers and a collector joined by channels.
func pipeline() {
	in := make(chan int)
	out := make(chan int, 8)
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range in {
				out <- n * n
			}
		}()
	}
	go func() {
		for i := 1; i <= 100; i++ {
			in <- i
		}
		close(in)
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	sum, count := 0, 0
	for sq := range out {
		sum += sq
		count++
	}
	fmt.Printf("pipeline: %d squares, sum %d\n", count, sum)
}

// manyGoroutines: 1000 goroutines add to a counter under a mutex and to an atomic.
func manyGoroutines() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	var atomicCounter int64
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				mu.Lock()
				counter += i % 7
				mu.Unlock()
				atomic.AddInt64(&atomicCounter, 1)
				if j%3 == 0 {
					runtime.Gosched()
				}
			}
		}(i)
	}
	wg.Wait()
	fmt.Printf("1000 goroutines: mutex counter %d, atomic counter %d\n", counter, atomicCounter)
}

// sleepers: goroutines that sleep different times report in the order of their sleeps.
func sleepers() {
	results := make(chan int, 5)
	delays := []int{50, 10, 40, 20, 30}
	start := time.Now()
	for _, d := range delays {
		go func(d int) {
			time.Sleep(time.Duration(d) * 5 * time.Millisecond)
			results <- d
		}(d)
	}
	order := []int{}
	for range delays {
		order = append(order, <-results)
	}
	elapsed := time.Since(start)
	fmt.Printf("sleepers woke in order %v, took at least 250ms: %v\n", order,
		elapsed >= 250*time.Millisecond)
}

// selectTimeout: select over a channel that never sends and a timer.
func selectTimeout() {
	never := make(chan int)
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	ticks := 0
	timeout := time.After(5 * time.Second)
loop:
	for {
		select {
		case <-never:
			fmt.Println("impossible")
		case <-ticker.C:
			ticks++
			if ticks == 5 {
				break loop
			}
		case <-timeout:
			break loop
		}
	}
	fmt.Printf("select: %d ticks before the timeout\n", ticks)
}

// condAndOnce: a sync.Cond broadcast releases waiters; sync.Once runs once.
func condAndOnce() {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	var once sync.Once
	onceRuns := int32(0)
	var wg sync.WaitGroup
	woken := make([]int, 0, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			once.Do(func() { atomic.AddInt32(&onceRuns, 1) })
			mu.Lock()
			for !ready {
				cond.Wait()
			}
			woken = append(woken, i)
			mu.Unlock()
		}(i)
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	ready = true
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
	sort.Ints(woken)
	fmt.Printf("cond: woke %v, once ran %d time(s)\n", woken, onceRuns)
}

// parallelSum: GOMAXPROCS workers each sum a slice of a large array.
func parallelSum() {
	prev := runtime.GOMAXPROCS(4)
	fmt.Printf("GOMAXPROCS was set: %v, now %d\n", prev >= 1, runtime.GOMAXPROCS(0))
	data := make([]int64, 1<<20)
	for i := range data {
		data[i] = int64(i % 1000)
	}
	parts := 4
	sums := make([]int64, parts)
	var wg sync.WaitGroup
	chunk := len(data) / parts
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			var s int64
			for _, v := range data[p*chunk : (p+1)*chunk] {
				s += v
			}
			sums[p] = s
		}(p)
	}
	wg.Wait()
	var total int64
	for _, s := range sums {
		total += s
	}
	fmt.Printf("parallel sum of %d values: %d\n", len(data), total)
	runtime.GOMAXPROCS(prev)
}

// gcUnderLoad: allocation-heavy goroutines force garbage collections.
func gcUnderLoad() {
	var wg sync.WaitGroup
	results := make([]int, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			total := 0
			for i := 0; i < 2000; i++ {
				buf := make([]byte, 4096+i)
				buf[len(buf)-1] = byte(i)
				total += int(buf[len(buf)-1])
			}
			results[g] = total
		}(g)
	}
	wg.Wait()
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	fmt.Printf("gc: results %v, collections ran: %v\n", results, stats.NumGC > 0)
}

func main() {
	fmt.Printf("NumCPU >= 1: %v\n", runtime.NumCPU() >= 1)
	pipeline()
	manyGoroutines()
	sleepers()
	selectTimeout()
	condAndOnce()
	parallelSum()
	gcUnderLoad()
	fmt.Println("done")
	os.Exit(3)
}
